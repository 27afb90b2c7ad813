"""Reads for the user administration pages. Staff accounts, not the records of children
and families: scoped by the permission on the pages, not audited as personal data."""

from django.db.models import Prefetch, QuerySet

from openmash.accounts.models import Agency, User, UserRole
from openmash.core.roles import Role

ACTIVE = "active"
DEACTIVATED = "deactivated"


def users_filtered(*, agency_id: int | None, role: Role | None, status: str) -> QuerySet[User]:
    """Every account, by surname, first name and username, with its agency and role
    grants; only one agency's, only a role's holders, only active or deactivated ones."""
    users = User.objects.select_related("agency").prefetch_related(
        Prefetch("role_grants", queryset=UserRole.objects.order_by("role"))
    )
    if agency_id is not None:
        users = users.filter(agency_id=agency_id)
    if role is not None:
        users = users.filter(role_grants__role=role)
    if status == ACTIVE:
        users = users.filter(is_active=True)
    elif status == DEACTIVATED:
        users = users.filter(is_active=False)
    return users.order_by("last_name", "first_name", "username", "pk")


def user_get(user_id: int) -> User:
    """One account with its agency; User.DoesNotExist if there is none."""
    return User.objects.select_related("agency").get(pk=user_id)


def agencies_all() -> QuerySet[Agency]:
    return Agency.objects.order_by("name")


def role_holders() -> dict[str, list[User]]:
    """The accounts holding each role (active and deactivated), by role value, each list
    by surname, first name and username."""
    holders: dict[str, list[User]] = {role.value: [] for role in Role}
    users = (
        User.objects.filter(role_grants__isnull=False)
        .distinct()
        .select_related("agency")
        .prefetch_related(Prefetch("role_grants", queryset=UserRole.objects.order_by("role")))
        .order_by("last_name", "first_name", "username", "pk")
    )
    for user in users:
        for grant in user.role_grants.all():
            holders.setdefault(grant.role, []).append(user)
    return holders
