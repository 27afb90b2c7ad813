from django.apps import AppConfig


class MetricsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "openmash.metrics"
    label = "metrics"
    verbose_name = "Indicators"
