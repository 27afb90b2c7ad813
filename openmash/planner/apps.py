from django.apps import AppConfig


class PlannerConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "openmash.planner"
    verbose_name = "Capacity planning"
