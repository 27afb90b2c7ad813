"""A hub clock for tests of what happens at a given time of day: while it runs,
`django.utils.timezone.now` (what OpenMASH's services read) starts at the chosen moment
and moves on with real time, in this thread and in the browser tests' live server thread
alike."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from unittest import mock


@contextmanager
def hub_clock(moment: datetime) -> Iterator[None]:
    started = time.monotonic()
    start = moment.astimezone(UTC)

    def now() -> datetime:
        return start + timedelta(seconds=time.monotonic() - started)

    with mock.patch("django.utils.timezone.now", side_effect=now):
        yield
