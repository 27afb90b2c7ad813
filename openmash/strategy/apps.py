from django.apps import AppConfig


class StrategyConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "openmash.strategy"
    verbose_name = "Strategy discussions"
