from django.apps import AppConfig


class EnquiriesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "openmash.enquiries"
    verbose_name = "MASH enquiries"

    def ready(self) -> None:
        # contact_create calls openmash.core.intake.contact_received in its transaction;
        # out of hours, the referrer is acknowledged and the on-call person alerted
        # (docs/adr/0021-out-of-hours-and-gov-uk-notify.md).
        from openmash.core.intake import register_contact_received
        from openmash.enquiries.out_of_hours import out_of_hours_on_receipt

        register_contact_received(out_of_hours_on_receipt)
