from django.apps import AppConfig


class MetricsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "openmash.metrics"
    label = "metrics"
    verbose_name = "Indicators"

    def ready(self) -> None:
        from openmash.core.metric_facts import register_facts_refresher
        from openmash.metrics.facts import facts_refresh_changed

        register_facts_refresher(facts_refresh_changed)
