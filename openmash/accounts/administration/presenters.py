"""What the user administration pages show about an account and a role."""

from dataclasses import dataclass
from datetime import datetime

import rules
from django.utils import timezone

from openmash.accounts.models import DeactivationReason, User
from openmash.core.context_processors import navigation_groups
from openmash.core.roles import ROLE_SUMMARIES, Role, role_in_sentence


def _when(moment: datetime | None, never: str) -> str:
    """ "14:05 on 3 March 2026", in the hub's time."""
    if moment is None:
        return never
    return f"{timezone.localtime(moment):%H:%M on %-d %B %Y}"


def _role_labels(user: User) -> list[str]:
    # role_grants is prefetched by the list's selector; read it here in role order.
    return [Role(grant.role).label for grant in user.role_grants.all() if grant.role in Role]


class UserRow:
    """One account as the list, the roles page and the account's own page show it."""

    def __init__(self, user: User, *, may_change: bool = False) -> None:
        self.id = user.pk
        self.name = user.get_full_name() or user.username
        self.username = user.username
        self.email = user.email
        self.agency = user.agency.name if user.agency else "None"
        self.job_title = user.job_title
        self.phone = user.phone
        self.roles = _role_labels(user)
        self.active = user.is_active
        self.last_sign_in = _when(user.last_login, "Never signed in")
        self.added = _when(user.date_joined, "Not known")
        self.status = "Active" if user.is_active else "Deactivated"
        self.status_colour = "green" if user.is_active else "grey"
        self.deactivated = _when(user.deactivated_at, "") if not user.is_active else ""
        reason = user.deactivation_reason
        self.deactivation_reason = (
            DeactivationReason(reason).label if reason in DeactivationReason.values else ""
        )
        self.may_change = may_change


@dataclass(frozen=True)
class RoleSummary:
    """A role on the Roles page: what it is for, the pages it opens, who holds it."""

    role: Role
    pages: list[str]
    holders: list[UserRow]
    may_grant: bool

    @property
    def value(self) -> str:
        return self.role.value

    @property
    def label(self) -> str:
        return self.role.label

    @property
    def in_sentence(self) -> str:
        return role_in_sentence(self.role)

    @property
    def summary(self) -> str:
        return ROLE_SUMMARIES[self.role]

    @property
    def active_count(self) -> int:
        return sum(holder.active for holder in self.holders)


class _RoleHolder:
    """Someone who holds only `role`, for asking the permissions what that role opens:
    the same rules the pages use, so the Roles page cannot disagree with them."""

    is_authenticated = True
    is_active = True
    is_anonymous = False
    agency_id = None
    pk = None

    def __init__(self, role: Role) -> None:
        self.role = role
        self.roles = frozenset({role.value})

    def has_role(self, role: Role) -> bool:
        return role == self.role

    def has_usable_password(self) -> bool:
        return True

    def has_perm(self, permission: str, obj: object = None) -> bool:
        return bool(rules.has_perm(permission, self, obj))


def pages_for_role(role: Role) -> list[str]:
    """The pages in the service navigation that `role` alone opens, in navigation order."""
    return [link.label for group in navigation_groups(_RoleHolder(role)) for link in group.links]
