"""What one replication of the simulation leaves behind, for `results` to measure.

All times are simulation hours (see `scenario`)."""

from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any


@dataclass
class ContactRecord:
    """One contact's journey. `decided` is None if it was still open when the
    replication stopped (by then its deadline had passed)."""

    number: int
    rating: str
    arrived: float
    deadline: float
    picked_up: float | None = None  # when a screener started on it
    decided: float | None = None
    # Hours spent queued (not being worked on) at each stage that lay on the contact's
    # critical path: with parallel checks, only the agency that answered last counts.
    critical_waits: dict[str, float] = field(default_factory=dict)
    # Of those, the hours when the stage's rota had someone due on who could have done
    # it: waiting for a free person, which more staff shortens (the rest of the wait was
    # for the rota: nights, weekends, bank holidays).
    critical_staff_waits: dict[str, float] = field(default_factory=dict)
    agencies_asked: tuple[str, ...] = ()

    def __reduce__(self) -> tuple[type["ContactRecord"], tuple[Any, ...]]:
        # Replications come back from the worker processes pickled, thousands of contacts
        # each: rebuilding a contact from its fields in order (not as a fresh object and a
        # dict of its attributes) takes the parent half the time.
        return (ContactRecord, _contact_fields(self))


# Every field, in order, read in one C call (a field added later travels too).
_contact_fields = attrgetter(*(f.name for f in fields(ContactRecord)))


@dataclass
class StageLog:
    """One staff group's record over the measured window [warm-up, horizon)."""

    name: str
    staff: int
    available_hours: float = 0.0  # rota hours of people not absent
    busy_hours: float = 0.0
    on_call_hours: float = 0.0
    on_call_busy_hours: float = 0.0
    # Tasks that arrived in the window: how long each waited before work first began.
    first_waits: list[float] = field(default_factory=list)
    queue_lengths: list[int] = field(default_factory=list)  # sampled on the hour


@dataclass
class ReplicationLog:
    replication: int
    window_start: float
    window_end: float
    stopped_at: float
    contacts: list[ContactRecord]  # only those that arrived in the window
    stages: dict[str, StageLog]
