from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "openmash.contacts"
    label = "contacts"
    verbose_name = "Contacts"
