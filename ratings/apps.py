from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RatingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "ratings"
    verbose_name = _("信用评级")

    def ready(self) -> None:
        from customers import audited, cards, levels

        from . import credit_file, customer_list
        from .models import LevelOverride, RatingResult

        levels.register_provider(customer_list.PROVIDER)  # the customer list's 当前等级 column, filter and sort
        # the change history's names for these records (order: as the admin's 对象类型 filter lists them)
        audited.register("override", LevelOverride, label=credit_file.override_label, order=10)
        # a single customer re-rated after a repair (ratings.services.rerate_customer)
        audited.register(
            "ratingresult", RatingResult, label=credit_file.result_label, select_related=("run",), order=20
        )

        cards.register("rating", template="ratings/_rating_card.html", context=credit_file.rating_card, order=10)
        cards.register_print_section(
            "rating", template="ratings/pdf/_file_print.html", context=credit_file.rating_print_section, order=10
        )
