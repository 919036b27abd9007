from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "customers"
    verbose_name = _("信用档案")

    def ready(self) -> None:
        from . import converters  # noqa: F401  (registers the `key` path converter before any URLconf loads)
