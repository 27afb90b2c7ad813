"""Reads for allocation: the workers a MASH manager may give a contact to, each with how
many open contacts are already theirs, so the manager can share the work out."""

from dataclasses import dataclass

from django.db.models import Count, Q

from openmash.accounts.models import User
from openmash.core.roles import Role
from openmash.enquiries import workflow

ALLOCATABLE_ROLES = (Role.SCREENER, Role.MASH_MANAGER)


@dataclass(frozen=True)
class Candidate:
    user: User
    open_count: int

    @property
    def label(self) -> str:
        count = self.open_count
        return f"{self.user.display_name} ({count} open contact{'' if count == 1 else 's'})"


def allocation_candidates() -> list[Candidate]:
    """Every active screener and MASH manager with their count of open contacts assigned
    to them, in one query (names only: no personal data of children, nothing to record)."""
    eligible = User.objects.filter(
        is_active=True, pk__in=User.objects.filter(role_grants__role__in=ALLOCATABLE_ROLES)
    )
    users = eligible.annotate(
        open_count=Count(
            "assigned_contacts",
            filter=Q(assigned_contacts__state__in=workflow.OPEN_STATES),
        )
    ).order_by("first_name", "last_name", "username")
    return [Candidate(user, user.open_count) for user in users]


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
