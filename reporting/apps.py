from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reporting"
    verbose_name = _("信用报送")

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the signal handlers)
