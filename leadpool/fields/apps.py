from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldsConfig(AppConfig):
    name = "leadpool.fields"
    label = "fields"
    verbose_name = _("Custom fields")
