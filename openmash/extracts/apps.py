from django.apps import AppConfig


class ExtractsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "openmash.extracts"
    label = "extracts"
    verbose_name = "Extracts"
