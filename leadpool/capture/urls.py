from django.urls import path

from leadpool.capture import views

app_name = "capture"

urlpatterns = [
    path("<str:token>", views.form_endpoint, name="form"),
]
