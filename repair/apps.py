from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RepairConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "repair"
    verbose_name = _("信用修复")

    def ready(self) -> None:
        from customers import audited, cards

        from . import credit_file
        from .models import RepairRequest, RestrictionRelease

        audited.register("repair", RepairRequest, order=30)  # named by its number
        audited.register(
            "restrictionrelease",
            RestrictionRelease,
            label=lambda release: release.request.number,
            select_related=("request",),
            order=40,
        )

        cards.register(
            "repair", template="repair/_customer_card.html", context=credit_file.repair_card, order=10, slot="main"
        )
        cards.register_print_section(
            "repairs", template="repair/pdf/_file_print.html", context=credit_file.repair_print_section, order=50
        )
