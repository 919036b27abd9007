from django.apps import AppConfig


class SiteConfig(AppConfig):
    """The project package as an app: the signal receivers of `suizhou_credit.security`, axes' admin title."""

    name = "suizhou_credit"
    verbose_name = "随州水务 供水信用管理系统"

    def ready(self) -> None:
        from django.apps import apps
        from django.contrib.auth.signals import user_logged_in

        # django-axes' admin section (its strings in Chinese: locale/zh_Hans); the app has no verbose_name.
        apps.get_app_config("axes").verbose_name = "登录安全"

        from . import security

        user_logged_in.connect(security.start_idle_clock, dispatch_uid="suizhou_credit.start_idle_clock")
