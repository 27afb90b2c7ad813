from django.apps import AppConfig


class AreaConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "openmash.area"
    verbose_name = "Area configuration"
