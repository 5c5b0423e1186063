from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaptureConfig(AppConfig):
    name = "leadpool.capture"
    label = "capture"
    verbose_name = _("Web-to-lead forms")
