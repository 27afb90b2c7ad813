"""The object ids the test provider gives its users (Entra ID's "oid" claim). Plain
Python: the test process imports it too, where django-oauth-toolkit is not installed as
an app."""

import uuid

# A fixed namespace, so a user's oid is the same in every run.
OID_NAMESPACE = uuid.UUID("6f0c3c8e-0d7b-4b7a-9f59-3c1a2b4d5e6f")


def oid_for(username: str) -> str:
    """The object id the provider gives `username`."""
    return str(uuid.uuid5(OID_NAMESPACE, username))
