from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HistoryConfig(AppConfig):
    name = "leadpool.history"
    label = "history"
    verbose_name = _("History")

    def ready(self):
        from leadpool.history import audit  # noqa: F401 - connects the sign-in signals
