from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reporting"
    verbose_name = _("信用报送")

    def ready(self) -> None:
        from customers import cards

        from . import receivers  # noqa: F401  (connects the signal handlers)
        from .checks import check_card

        cards.register("credit_checks", template="reporting/_check_card.html", context=check_card, order=50)
