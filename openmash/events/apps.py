from django.apps import AppConfig


class EventsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "openmash.events"
    verbose_name = "Events for receiving teams' systems"

    def ready(self) -> None:
        # The services below call openmash.core.outbox.publish in their transactions;
        # the outbox writes the events (docs/adr/0014-event-outbox.md).
        from openmash.core.outbox import register_publisher
        from openmash.events.publishing import event_record

        register_publisher(event_record)
