"""Reads for allocation: the workers a manager may give a contact, an agency check or a
hand-on to, each with how much open work is already theirs, so the manager can share the
work out. Only names and counts: nothing about a child, so nothing to record."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Subquery

from openmash.accounts.models import User, UserRole
from openmash.area.models import HandOnTeam, RagLevel
from openmash.contacts.models import Contact
from openmash.core.roles import Role
from openmash.enquiries import workflow
from openmash.enquiries.models import AgencyCheck, CheckState, HandOn, HandOnState

# The largest id a database row can have: larger ones are not looked up at all.
MAX_ID = 2**63 - 1

ALLOCATABLE_ROLES = (Role.SCREENER, Role.MASH_MANAGER)


@dataclass(frozen=True)
class Candidate:
    user: User
    open_count: int

    @property
    def label(self) -> str:
        count = self.open_count
        return f"{self.user.display_name} ({count} open contact{'' if count == 1 else 's'})"


def _open_counts(items: QuerySet[Any], *, red: Q | None = None) -> dict[int, tuple[int, int]]:
    """How many of the open items (already filtered to the open ones) each worker holds,
    and how many of those are red, by the worker's id: one query. Counting through each
    worker's every item, open or long closed, read years of history for a handful of
    workers (about 100 ms a page on five years of contacts)."""
    counts: dict[str, Any] = {"m_open": Count("pk")}
    if red is not None:
        counts["m_red"] = Count("pk", filter=red)
    rows = (
        items.filter(assigned_to__isnull=False)
        .values("assigned_to")
        .annotate(**counts)
        .order_by()
        .values_list("assigned_to", *counts)
    )
    return {row[0]: (row[1], row[2] if red is not None else 0) for row in rows}


def allocation_candidates() -> list[Candidate]:
    """Every active screener and MASH manager with their count of open contacts assigned
    to them, in two queries (names only: no personal data of children, nothing to
    record)."""
    users = User.objects.filter(
        is_active=True, pk__in=User.objects.filter(role_grants__role__in=ALLOCATABLE_ROLES)
    ).order_by("first_name", "last_name", "username")
    counts = _open_counts(Contact.objects.filter(state__in=workflow.OPEN_STATES))
    return [Candidate(user, counts.get(user.pk, (0, 0))[0]) for user in users]


def allocation_candidate(worker_id: object) -> User | None:
    """The eligible worker with this id, or None."""
    if not str(worker_id or "").isdigit():
        return None
    return (
        User.objects.filter(
            pk=int(str(worker_id)),
            is_active=True,
            role_grants__role__in=ALLOCATABLE_ROLES,
        )
        .distinct()
        .first()
    )


# --- Agency checks and hand-ons (issue 13, item 4) ---------------------------------------

# Who may be given a hand-on in each receiving team's queue: the people who answer that
# team's hand-ons (the rule enquiries.respond_to_hand_on; tests keep the two in step).
HAND_ON_TEAM_ROLES: dict[str, tuple[Role, ...]] = {
    HandOnTeam.EARLY_HELP: (Role.EARLY_HELP_COORDINATOR,),
    HandOnTeam.CHILDRENS_SOCIAL_CARE: (Role.MASH_MANAGER,),
}


@dataclass(frozen=True)
class Workload:
    """A worker who may be given an item, with their open work of that kind: how many
    items are theirs and how many of those are red (the contact rated at the area's most
    urgent level). `team` names the receiving team for a hand-on worker."""

    user: User
    open_count: int
    red_count: int
    noun: str
    team: str = ""

    @property
    def label(self) -> str:
        count = self.open_count
        name = self.user.display_name
        if self.team:
            name = f"{name}, {HandOnTeam(self.team).label.lower()}"
        plural = "" if count == 1 else "s"
        return f"{name} ({count} open {self.noun}{plural}, {self.red_count} red)"


def _red() -> Q:
    """An item whose contact is rated at the area's most urgent active level, read in the
    same query."""
    first = RagLevel.objects.filter(active=True).order_by("order").values("order")[:1]
    return Q(contact__rag_level__order=Subquery(first))


def check_researchers(*, agency_id: int) -> list[Workload]:
    """The active researchers of the agency, each with the agency's open checks they hold
    and red ones, in two queries (names only: nothing about children, nothing to record)."""
    researchers = User.objects.filter(
        is_active=True,
        agency_id=agency_id,
        pk__in=UserRole.objects.filter(role=Role.AGENCY_RESEARCHER).values("user_id"),
    ).order_by("first_name", "last_name", "username")
    counts = _open_counts(
        AgencyCheck.objects.filter(agency_id=agency_id, state=CheckState.REQUESTED), red=_red()
    )
    return [Workload(user, *counts.get(user.pk, (0, 0)), "check") for user in researchers]


def check_researcher(*, agency_id: int, worker_id: object) -> User | None:
    """The active researcher of the agency with this id, or None (anyone else, another
    agency's researcher included, may not be given the agency's check)."""
    if not str(worker_id or "").isdigit() or int(str(worker_id)) > MAX_ID:
        return None
    return User.objects.filter(
        pk=int(str(worker_id)),
        is_active=True,
        agency_id=agency_id,
        pk__in=UserRole.objects.filter(role=Role.AGENCY_RESEARCHER).values("user_id"),
    ).first()


def _team_members(team: str) -> QuerySet[User]:
    return User.objects.filter(
        is_active=True,
        pk__in=UserRole.objects.filter(role__in=HAND_ON_TEAM_ROLES.get(team, ())).values("user_id"),
    )


def hand_on_workers(*, teams: Iterable[str]) -> list[Workload]:
    """The active members of each receiving team, each with their hand-ons still waiting
    to be answered and red ones: one query for the counts and one per team for its
    members (two teams have queues). The team is named in the label when there is more
    than one."""
    teams = [team for team in teams if team in HAND_ON_TEAM_ROLES]
    workers: list[Workload] = []
    if not teams:
        return workers
    # Only the queued teams' hand-ons wait (read by the team's queue index).
    counts = _open_counts(
        HandOn.objects.filter(team__in=list(HAND_ON_TEAM_ROLES), state=HandOnState.PENDING),
        red=_red(),
    )
    for team in teams:
        users = _team_members(team).order_by("first_name", "last_name", "username")
        workers.extend(
            Workload(
                user,
                *counts.get(user.pk, (0, 0)),
                "hand-on",
                team=team if len(teams) > 1 else "",
            )
            for user in users
        )
    return workers


def hand_on_worker(*, team: str, worker_id: object) -> User | None:
    """The active member of the receiving team with this id, or None."""
    if not str(worker_id or "").isdigit() or int(str(worker_id)) > MAX_ID:
        return None
    return _team_members(team).filter(pk=int(str(worker_id))).first()


def hand_on_worker_teams(*, worker_id: object) -> list[str]:
    """The receiving teams whose hand-ons the active user with this id may be given."""
    if not str(worker_id or "").isdigit() or int(str(worker_id)) > MAX_ID:
        return []
    roles = set(
        UserRole.objects.filter(user_id=int(str(worker_id)), user__is_active=True).values_list(
            "role", flat=True
        )
    )
    return [team for team, allowed in HAND_ON_TEAM_ROLES.items() if roles & set(allowed)]
