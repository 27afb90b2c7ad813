"""The code an authenticator app would show now for a device whose secret OpenMASH
published on purpose: the demonstration accounts' (`manage.py demo_code`) and the test
personas'. django-otp computes it (django_otp.oath); this only picks the time step the
device will accept next, since each code works once."""

from django_otp.oath import TOTP, hotp
from django_otp.plugins.otp_totp.models import TOTPDevice

# RFC 6238's own test secret ("12345678901234567890"), given to the demonstration
# accounts so that anyone trying the demo can sign in; in base32 for an authenticator
# app: GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ.
DEMO_TOTP_KEY = "3132333435363738393031323334353637383930"


def next_code(device: TOTPDevice) -> str | None:
    """The code the device will accept now and for longest: the current time step's (what
    the app shows), else the next step's, else the previous step's (it refuses a step
    already used, and drifts with its app's clock); None when every step in its window
    has been used, until the next step starts (at most device.step seconds). The previous
    step's code is the last choice: it stops working when the current step ends, which
    may be before it reaches the server."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    now = totp.t()
    window = range(now - device.tolerance, now + device.tolerance + 1)
    for step in sorted(window, key=lambda step: (step < now, abs(step - now))):
        if step > device.last_t:
            return f"{hotp(device.bin_key, step, device.digits):0{device.digits}d}"
    return None
