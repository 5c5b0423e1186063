from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("leadpool.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: the language switch
    # Public web-to-lead forms: no login, embeddable (leadpool/capture/views.py).
    path("forms/", include("leadpool.capture.urls")),
    path("", include("leadpool.web.urls")),
]

handler500 = "leadpool.core.views.server_error"
handler404 = "leadpool.core.views.page_not_found"
