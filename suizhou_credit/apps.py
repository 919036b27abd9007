from django.apps import AppConfig


class SiteConfig(AppConfig):
    """The project package as an app, for the signal receivers of `suizhou_credit.security`."""

    name = "suizhou_credit"
    verbose_name = "随州水务 供水信用管理系统"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import security

        user_logged_in.connect(security.start_idle_clock, dispatch_uid="suizhou_credit.start_idle_clock")
