from django.apps import AppConfig


class ValueConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "openmash.value"
    label = "value"
    verbose_name = "Value for money"
