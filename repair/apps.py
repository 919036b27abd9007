from django.apps import AppConfig


class RepairConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'repair'
