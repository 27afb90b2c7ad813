"""Writes to agencies, users and API tokens, each with its audit event."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from openmash.accounts.models import Agency, ApiToken, User, UserRole, hash_token
from openmash.core.audit import Actor, audit_record
from openmash.core.models import AuditAction
from openmash.core.roles import AgencyType, Role

# openmash/accounts/rules.py gives it to administrators only, as in the token admin.
MANAGE_API_TOKENS = "accounts.change_apitoken"


@transaction.atomic
def agency_create(
    *,
    actor: Actor | None,
    name: str,
    slug: str,
    agency_type: AgencyType,
    is_mash_partner: bool = False,
    default_referral_source: str = "",
) -> Agency:
    agency = Agency.objects.create(
        name=name,
        slug=slug,
        agency_type=agency_type,
        is_mash_partner=is_mash_partner,
        default_referral_source=default_referral_source,
    )
    if actor is not None:
        audit_record(
            actor=actor, action=AuditAction.CREATE, object_type="agency", object_id=agency.pk
        )
    return agency


@transaction.atomic
def user_create(
    *,
    actor: Actor | None,
    username: str,
    password: str,
    agency: Agency,
    roles: list[Role],
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    job_title: str = "",
    phone: str = "",
) -> User:
    """A user of one agency with the given roles. `actor` is None only when setting up a new hub."""
    user = User.objects.create_user(
        username=username,
        password=password,
        agency=agency,
        first_name=first_name,
        last_name=last_name,
        email=email,
        job_title=job_title,
        phone=phone,
    )
    UserRole.objects.bulk_create([UserRole(user=user, role=role) for role in roles])
    audit_record(
        actor=actor or Actor(user=user),
        action=AuditAction.CREATE,
        object_type="user",
        object_id=user.pk,
        detail={"roles": sorted(str(role) for role in roles)},
    )
    return user


@transaction.atomic
def api_token_issue(*, agency: Agency, name: str, issued_by: str) -> tuple[ApiToken, str]:
    """A new bearer token for an agency's system. The secret is returned once and never stored."""
    secret = ApiToken.new_secret()
    token = ApiToken.objects.create(
        agency=agency, name=name, token_hash=hash_token(secret), prefix=secret[:12]
    )
    audit_record(
        actor=Actor(token=token, request_id=f"issue_api_token by {issued_by}"[:64]),
        action=AuditAction.CREATE,
        object_type="api_token",
        object_id=token.pk,
    )
    return token, secret


def api_token_authenticate(secret: str) -> ApiToken | None:
    token = (
        ApiToken.objects.select_related("agency")
        .filter(token_hash=hash_token(secret), revoked_at__isnull=True)
        .first()
    )
    if token is not None:
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


@transaction.atomic
def api_token_revoke(*, actor: Actor, token: ApiToken) -> None:
    """Stops an agency's system using `token` from now on, and audits it. Only an
    administrator may: anyone else gets PermissionDenied and the token keeps working. A
    token already revoked keeps the time it was first revoked."""
    if actor.user is None or not actor.user.has_perm(MANAGE_API_TOKENS):
        raise PermissionDenied
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="api_token",
        object_id=token.pk,
        detail={"revoked": True},
    )
