from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PledgesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pledges"
    verbose_name = _("信用承诺")

    def ready(self) -> None:
        from customers.signals import events_changed

        from . import receivers

        events_changed.connect(receivers.on_events_changed, dispatch_uid="pledges.sync_breaches")
