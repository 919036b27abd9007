from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reporting"
    verbose_name = _("信用报送")

    def ready(self) -> None:
        from customers import audited, cards

        from . import credit_file, receivers  # noqa: F401  (receivers connects the signal handlers)
        from .checks import check_card
        from .models import Notice

        audited.register("notice", Notice, order=60)  # the change history's name for it (by its number)

        # the notice card reads the pledges the pledge card (order 20) loaded: no second query
        notice_card = credit_file.notice_card
        cards.register(
            "notices", template="reporting/_notice_card.html", context=notice_card, order=30, reads_context=True
        )
        cards.register("credit_checks", template="reporting/_check_card.html", context=check_card, order=50)
        cards.register_print_section(
            "notices", template="reporting/pdf/_notice_print.html", context=credit_file.notice_print_section, order=60
        )
