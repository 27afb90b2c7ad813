"""Prints the code a demo user's authenticator app would show now.

Only for the demonstration accounts, whose secret is published (DEMO_TOTP_KEY): it
refuses anyone whose authenticator app has a secret of their own.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from openmash.two_factor.codes import DEMO_TOTP_KEY, next_code


class Command(BaseCommand):
    help = "Show the current two-factor code of a demo user (demo data only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        device = TOTPDevice.objects.filter(
            user__username=username, confirmed=True, key=DEMO_TOTP_KEY
        ).first()
        if device is None:
            raise CommandError(
                f"{username} is not a demo user with the demonstration authenticator app."
            )
        code = next_code(device)
        if code is None:
            seconds = device.step - int(timezone.now().timestamp() - device.t0) % device.step
            raise CommandError(
                f"Every code for this half-minute has been used; try again in {seconds} seconds."
            )
        self.stdout.write(code)
