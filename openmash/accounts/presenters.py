"""What a person's own account pages show."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from openmash.accounts.models import UserSession


def _when(moment: datetime) -> str:
    """ "14:05 on 3 March 2026", in the hub's time (TIME_ZONE, Europe/London)."""
    return f"{timezone.localtime(moment):%H:%M on %-d %B %Y}"


@dataclass(frozen=True)
class SessionRow:
    """One of a person's sessions, as their list of sessions shows it."""

    session: UserSession
    current: bool

    @property
    def id(self) -> int:
        return self.session.pk

    @property
    def browser(self) -> str:
        return self.session.browser or "An unknown browser"

    @property
    def signed_in(self) -> str:
        return _when(self.session.signed_in_at)

    @property
    def last_seen(self) -> str:
        return "Now" if self.current else _when(self.session.last_seen_at)

    @property
    def address(self) -> str:
        return self.session.address or "Not known"
