"""Second factors for the test personas, as the people in the tests would have them: an
authenticator app set up, whose codes a test reads the way the person reads their app."""

import time

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from openmash.accounts.models import User
from openmash.two_factor.codes import next_code


def authenticator_of(user: User) -> TOTPDevice:
    """The person's authenticator app, set up already (a new random secret if they had
    none). Made directly, not through the audited service, so that tests counting audit
    events see only their own."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    return device


def code_for(user: User) -> str:
    """The code the person's app shows that the device will accept now; waits for the
    next time step when this window's codes are all used (several sign-ins as the same
    person within 30 seconds)."""
    while True:
        device = authenticator_of(user)
        device.refresh_from_db()
        code = next_code(device)
        if code is not None:
            return code
        time.sleep(1)


def verify_session(client: Client, user: User) -> None:
    """Marks a test client's signed-in session as past its second factor, as django-otp's
    login() does after a good code: the device's persistent id in the session."""
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = authenticator_of(user).persistent_id
    session.save()
