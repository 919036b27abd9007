from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PledgesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pledges"
    verbose_name = _("信用承诺")

    def ready(self) -> None:
        from customers import audited, cards
        from customers.signals import events_changed

        from . import credit_file, receivers
        from .models import Pledge

        audited.register("pledge", Pledge, label=lambda pledge: pledge.display_number, order=50)

        events_changed.connect(receivers.on_events_changed, dispatch_uid="pledges.sync_breaches")
        # order 20: before the notice card (30), which reads the pledges this card loaded
        cards.register("pledges", template="pledges/_card.html", context=credit_file.pledge_card, order=20)
        cards.register_print_section(
            "pledges", template="pledges/pdf/_file_print.html", context=credit_file.pledge_print_section, order=40
        )
