"""Writes to agencies, users and API tokens, each with its audit event: among them a
user's lifecycle (deactivation, dormant accounts, password changes; docs/adr/
0027-account-lifecycle.md)."""

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from openmash.accounts.models import (
    Agency,
    ApiToken,
    DeactivationReason,
    User,
    UserRole,
    hash_token,
)
from openmash.accounts.sessions import user_sessions_end_others
from openmash.accounts.sso.config import Access, Identity, Refusal
from openmash.accounts.tasks import send_account_created_email, send_password_reset_email
from openmash.accounts.throttle import password_reset_email_allowed
from openmash.core.audit import Actor, audit_record
from openmash.core.errors import FieldErrors
from openmash.core.models import AuditAction
from openmash.core.roles import AgencyType, Role, role_in_sentence

logger = logging.getLogger(__name__)

# openmash/accounts/rules.py gives it to administrators only, as in the token admin.
MANAGE_API_TOKENS = "accounts.change_apitoken"
# How the audit log names single sign-on: the method of a sign-in, and the system that
# creates and updates accounts from the provider's claims.
SINGLE_SIGN_ON = "single sign-on"


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
    password: str | None,
    agency: Agency,
    roles: list[Role],
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    job_title: str = "",
    phone: str = "",
) -> User:
    """A user of one agency with the given roles. `actor` is None only when setting up a new
    hub (the demo, the tests); an administrator's page calls user_add, which checks and
    validates first. A `password` of None gives an unguessable one nobody knows: the person
    sets their own from an emailed link, or from "Forgotten your password?"."""
    user = User.objects.create_user(
        username=username,
        password=password if password is not None else secrets.token_urlsafe(32),
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


def _require_administrator(actor: Actor) -> None:
    if actor.user is None or not actor.user.has_perm("accounts.change_user"):
        raise PermissionDenied


# --- User administration (issue 16, item 5; docs/adr/0029-user-administration.md) ---------

MANAGE_USERS = "accounts.manage_users"
# The roles a MASH manager may give and take away: the hub's own work. Not the roles that
# watch over it (auditor, information governance) nor administrator: nobody gives a role
# that could undo their own oversight or is more powerful than their own.
MASH_MANAGER_GRANTS = frozenset(
    {
        Role.REFERRER,
        Role.SCREENER,
        Role.MASH_MANAGER,
        Role.AGENCY_RESEARCHER,
        Role.EARLY_HELP_COORDINATOR,
        Role.ANALYST,
    }
)
# Roles that let their holder administer users: nobody takes one away from themselves.
USER_ADMINISTRATION_ROLES = frozenset({Role.ADMINISTRATOR, Role.MASH_MANAGER})


def roles_grantable_by(user: User | None) -> frozenset[Role]:
    """The roles `user` may give and take away: every role for an administrator, the hub's
    working roles for a MASH manager, none for anyone else."""
    if user is None or not user.has_perm(MANAGE_USERS):
        return frozenset()
    if user.has_role(Role.ADMINISTRATOR):
        return frozenset(Role)
    if user.has_role(Role.MASH_MANAGER):
        return MASH_MANAGER_GRANTS
    return frozenset()


def roles_held(user: User) -> frozenset[Role]:
    """The roles granted to `user`, whether or not the account is active (User.roles is
    empty for a deactivated account, which grants nothing)."""
    return frozenset(Role(role) for role in user.role_grants.values_list("role", flat=True))


def user_within_reach(*, actor: User | None, user: User) -> bool:
    """Whether `actor` may change `user`: every role `user` holds is one `actor` may give
    (so a MASH manager never changes an administrator's or an auditor's account)."""
    grantable = roles_grantable_by(actor)
    return bool(grantable) and roles_held(user) <= grantable


def _require_reach(actor: Actor, user: User) -> User:
    if actor.user is None or not user_within_reach(actor=actor.user, user=user):
        raise PermissionDenied
    return actor.user


@dataclass(frozen=True)
class UserDetails:
    """What an administrator types about a person (everything but their roles)."""

    first_name: str
    last_name: str
    username: str
    email: str
    agency_id: int | None
    job_title: str = ""
    phone: str = ""


def _changed(user: User | None, field: str, value: str) -> bool:
    # An address or username already shared with another account (from before these
    # checks, or from single sign-on) does not stop the rest of the account being changed.
    return user is None or getattr(user, field).casefold() != value.casefold()


def _details_checked(details: UserDetails, *, user: User | None) -> tuple[UserDetails, Agency]:
    """The details tidied, and the agency they name; FieldErrors (every problem at once)
    if any is wrong. `user` is the account being changed, None for a new one."""
    errors: dict[str, str] = {}
    others = User.objects.exclude(pk=user.pk) if user is not None else User.objects.all()
    first_name, last_name = details.first_name.strip(), details.last_name.strip()
    username, email = details.username.strip(), details.email.strip()
    job_title, phone = details.job_title.strip(), details.phone.strip()
    for field, value, missing in (
        ("first_name", first_name, "Enter their first name"),
        ("last_name", last_name, "Enter their last name"),
    ):
        if not value:
            errors[field] = missing
        elif len(value) > 150:
            errors[field] = "Enter 150 characters or fewer"
    if not username:
        errors["username"] = "Enter a username"
    elif len(username) > 150:
        errors["username"] = "Enter a username of 150 characters or fewer"
    else:
        try:
            UnicodeUsernameValidator()(username)
        except ValidationError:
            errors["username"] = (
                "Enter a username of letters, digits and @ . + - _ only, without spaces"
            )
        else:
            if (
                _changed(user, "username", username)
                and others.filter(username__iexact=username).exists()
            ):
                errors["username"] = "Another account already has this username"
    if not email:
        errors["email"] = "Enter their email address"
    else:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = (
                "Enter an email address in the correct format, like name@example.gov.uk"
            )
        else:
            if len(email) > 254:
                errors["email"] = "Enter an email address of 254 characters or fewer"
            elif _changed(user, "email", email) and others.filter(email__iexact=email).exists():
                errors["email"] = "Another account already uses this email address"
    agency = (
        Agency.objects.filter(pk=details.agency_id).first()
        if details.agency_id is not None
        else None
    )
    if agency is None:
        errors["agency"] = "Select their agency"
    if len(job_title) > 120:
        errors["job_title"] = "Enter a job title of 120 characters or fewer"
    if len(phone) > 40:
        errors["phone"] = "Enter a phone number of 40 characters or fewer"
    if errors:
        raise FieldErrors(errors)
    assert agency is not None
    tidy = UserDetails(
        first_name=first_name,
        last_name=last_name,
        username=username,
        email=email,
        agency_id=agency.pk,
        job_title=job_title,
        phone=phone,
    )
    return tidy, agency


def _roles_problem(roles: frozenset[Role], agency: Agency | None) -> str | None:
    """What is wrong with giving `roles` to someone of `agency`, or None."""
    if not roles:
        return "Select at least one role"
    if Role.AGENCY_RESEARCHER in roles and agency is not None and not agency.is_mash_partner:
        # Checks are asked of the agencies that sit in the hub: a researcher anywhere else
        # would never be given one.
        return (
            f"An agency researcher must belong to an agency that sits in the MASH: "
            f"{agency.name} does not"
        )
    return None


def _ungrantable_problem(roles: frozenset[Role], grantable: frozenset[Role]) -> str | None:
    beyond = sorted(role_in_sentence(Role(role)) for role in roles - grantable)
    if not beyond:
        return None
    return (
        f"You cannot give the {' or '.join(beyond)} role: ask an administrator"
        if len(beyond) == 1
        else f"You cannot give the roles {', '.join(beyond)}: ask an administrator"
    )


@transaction.atomic
def user_add(
    *, actor: Actor, details: UserDetails, roles: list[Role] | set[Role], site_url: str
) -> User:
    """A new account for one person, added by an administrator (or a MASH manager, for the
    roles they may give): validated (FieldErrors with every problem, nothing written),
    created with an unguessable password, audited, and the person emailed a link to set
    their own password (audited as a password link). PermissionDenied for anyone who may
    not manage users."""
    grantable = roles_grantable_by(actor.user)
    if not grantable:
        raise PermissionDenied
    wanted = frozenset(Role(role) for role in roles)
    errors: dict[str, str] = {}
    tidy: UserDetails | None = None
    agency: Agency | None = None
    try:
        tidy, agency = _details_checked(details, user=None)
    except FieldErrors as invalid:
        errors.update(invalid.errors)
    problem = _ungrantable_problem(wanted, grantable) or _roles_problem(wanted, agency)
    if problem:
        errors["roles"] = problem
    if errors:
        raise FieldErrors(errors)
    assert tidy is not None and agency is not None
    user = user_create(
        actor=actor,
        username=tidy.username,
        password=None,
        agency=agency,
        roles=sorted(wanted),
        first_name=tidy.first_name,
        last_name=tidy.last_name,
        email=tidy.email,
        job_title=tidy.job_title,
        phone=tidy.phone,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="password_reset_link",
        object_id=user.pk,
        detail={"why": "new account"},
    )
    send_account_created_email.enqueue(user.pk, site_url)
    return user


@transaction.atomic
def user_update(*, actor: Actor, user: User, details: UserDetails) -> list[str]:
    """Changes a person's name, username, email address, agency, job title and phone:
    validated (FieldErrors, nothing written), audited with the names of the fields that
    changed (not their values). PermissionDenied unless `actor` may change `user`
    (user_within_reach). Returns the fields changed; nothing written or audited if none."""
    _require_reach(actor, user)
    tidy, agency = _details_checked(details, user=user)
    problem = _roles_problem(roles_held(user), agency) if roles_held(user) else None
    if problem:
        raise FieldErrors({"agency": problem})
    new = {
        "first_name": tidy.first_name,
        "last_name": tidy.last_name,
        "username": tidy.username,
        "email": tidy.email,
        "agency": agency,
        "job_title": tidy.job_title,
        "phone": tidy.phone,
    }
    changed = sorted(field for field, value in new.items() if getattr(user, field) != value)
    if not changed:
        return []
    for field in changed:
        setattr(user, field, new[field])
    user.save(update_fields=changed)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="user",
        object_id=user.pk,
        detail={"fields": changed},
    )
    return changed


@transaction.atomic
def user_roles_set(
    *, actor: Actor, user: User, roles: list[Role] | set[Role]
) -> tuple[list[str], list[str]]:
    """Makes `user`'s roles exactly `roles`, audited with the roles added and removed.
    Guarantees: at least one role; only roles `actor` may give (roles_grantable_by); an
    agency researcher only at an agency that sits in the MASH; nobody removes from
    themselves a role that lets them administer users (FieldErrors on "roles", nothing
    written). PermissionDenied unless `actor` may change `user`. Returns (added, removed)."""
    _require_reach(actor, user)
    grantable = roles_grantable_by(actor.user)
    wanted = frozenset(Role(role) for role in roles)
    held = roles_held(user)
    problem = _ungrantable_problem(wanted, grantable) or _roles_problem(wanted, user.agency)
    if problem is None and actor.user is not None and actor.user.pk == user.pk:
        kept = (held & USER_ADMINISTRATION_ROLES) - wanted
        if kept:
            problem = (
                f"You cannot remove your own {role_in_sentence(Role(min(kept)))} role: "
                "ask another administrator"
            )
    if problem:
        raise FieldErrors({"roles": problem})
    added = sorted(role.value for role in wanted - held)
    removed = sorted(role.value for role in held - wanted)
    if removed:
        user.role_grants.filter(role__in=removed).delete()
    if added:
        UserRole.objects.bulk_create([UserRole(user=user, role=role) for role in added])
    if added or removed:
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            object_type="user",
            object_id=user.pk,
            detail={"roles_added": added, "roles_removed": removed, "fields": []},
        )
    user.__dict__.pop("roles", None)  # the cached roles, read again when next asked
    return added, removed


@transaction.atomic
def user_sign_in_unlock(*, actor: Actor, user: User) -> int:
    """Lets `user` sign in again at once after a lockout: clears every failed sign-in
    counted against their username (and so against the addresses they came from), and
    audits it. Administrators only (PermissionDenied otherwise, nothing cleared).
    Returns how many counts were cleared (0 when the user was not locked out; still
    audited, so the log shows the administrator acted)."""
    _require_administrator(actor)
    cleared, _ = AccessAttempt.objects.filter(username=user.get_username()).delete()
    audit_record(
        actor=actor,
        action=AuditAction.UNLOCK,
        object_type="user",
        object_id=user.pk,
        detail={"failed_sign_ins_cleared": cleared},
    )
    return cleared


@transaction.atomic
def sign_in_attempts_clear(*, actor: Actor, attempt_ids: list[int]) -> int:
    """Clears the given counts of failed sign-ins (an address, or a username that is not an
    account), each audited with its address and the account it named, if any.
    Administrators only (PermissionDenied otherwise, nothing cleared)."""
    _require_administrator(actor)
    attempts = list(
        AccessAttempt.objects.filter(pk__in=attempt_ids).values("pk", "username", "ip_address")
    )
    accounts = dict(
        User.objects.filter(
            username__in=[row["username"] for row in attempts if row["username"]]
        ).values_list("username", "pk")
    )
    for attempt in attempts:
        # The account's id, not the text typed as a username: a mistyped one may be a
        # password.
        audit_record(
            actor=actor,
            action=AuditAction.UNLOCK,
            object_type="sign_in_attempts",
            object_id=attempt["pk"],
            detail={"address": attempt["ip_address"], "user": accounts.get(attempt["username"])},
        )
    cleared, _ = AccessAttempt.objects.filter(pk__in=[row["pk"] for row in attempts]).delete()
    return cleared


class CannotDeactivateYourself(Exception):
    """An administrator may not deactivate their own account (the area could be left with
    nobody to administer it)."""


def _deactivate(*, actor: Actor, user: User, reason: DeactivationReason, now: datetime) -> bool:
    # Only the first to change the row deactivates (two dormant-account loops at once on
    # two machines, or an administrator at the same moment): one audit event.
    claimed = User.objects.filter(pk=user.pk, deactivated_at__isnull=True).update(
        is_active=False, deactivated_at=now, deactivation_reason=reason
    )
    if not claimed:
        return False
    user.is_active, user.deactivated_at, user.deactivation_reason = False, now, reason
    ended = user_sessions_end_others(actor=actor, user=user, keep=None, reason="deactivated")
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="user",
        object_id=user.pk,
        detail={"is_active": False, "reason": str(reason), "sessions_ended": ended},
    )
    return True


@transaction.atomic
def user_deactivate(*, user: User, by: Actor, reason: DeactivationReason) -> bool:
    """Stops `user` signing in (a leaver): is_active off with the time and reason, every
    session of theirs ended at once, audited. API tokens belong to an agency's system, not
    to a person (ApiToken), so none is revoked. Only someone who may change `user`
    (user_within_reach: administrators, and MASH managers for the hub's workers;
    PermissionDenied otherwise); never oneself (CannotDeactivateYourself). False, with
    nothing written, if the account was already deactivated."""
    _require_reach(by, user)
    if by.user is not None and by.user.pk == user.pk:
        raise CannotDeactivateYourself
    return _deactivate(actor=by, user=user, reason=reason, now=timezone.now())


# The name the user administration pages (issue 16, item 5) call it by.
deactivate_user = user_deactivate


@transaction.atomic
def user_reactivate(*, user: User, by: Actor) -> bool:
    """Lets a deactivated `user` sign in again; the dormant-account clock starts again
    from now. Only someone who may change `user` (user_within_reach; PermissionDenied
    otherwise). False, with nothing written, if the account was active."""
    _require_reach(by, user)
    now = timezone.now()
    changed = (
        User.objects.filter(pk=user.pk)
        .filter(Q(is_active=False) | Q(deactivated_at__isnull=False))
        .update(is_active=True, deactivated_at=None, deactivation_reason="", reactivated_at=now)
    )
    if not changed:
        return False
    user.is_active, user.deactivated_at, user.deactivation_reason = True, None, ""
    user.reactivated_at = now
    audit_record(
        actor=by,
        action=AuditAction.UPDATE,
        object_type="user",
        object_id=user.pk,
        detail={"is_active": True},
    )
    return True


def users_dormant(*, now: datetime, days: int) -> QuerySet[User]:
    """Active accounts with no sign-in for `days`: counted from the latest of their last
    sign-in, the day they joined and the day an administrator last reactivated them."""
    last_activity = Greatest(
        Coalesce("last_login", "date_joined"), Coalesce("reactivated_at", "date_joined")
    )
    return (
        User.objects.filter(is_active=True, deactivated_at__isnull=True)
        .annotate(last_activity=last_activity)
        .filter(last_activity__lt=now - timedelta(days=days))
    )


def users_dormant_deactivate(*, now: datetime) -> list[int]:
    """Deactivates every account with no sign-in for DORMANT_ACCOUNT_DAYS (docs/adr/
    0027-account-lifecycle.md), each in its own transaction with its audit event; does
    nothing when the setting is 0. Safe to run on several machines at once: each account
    is deactivated, and audited, once. Returns the ids of the accounts it deactivated."""
    days = settings.DORMANT_ACCOUNT_DAYS
    if days <= 0:
        return []
    actor = Actor(system="dormant accounts")
    deactivated = []
    for user in users_dormant(now=now, days=days).order_by("pk"):
        with transaction.atomic():
            if _deactivate(actor=actor, user=user, reason=DeactivationReason.DORMANT, now=now):
                deactivated.append(user.pk)
    return deactivated


@transaction.atomic
def user_password_changed(*, actor: Actor, user: User, keep_session: int | None, how: str) -> int:
    """After `user`'s password has been set (by themselves, `how` "changed"; from an
    emailed link, "reset by email"): every other session of theirs ended (Django would
    refuse them at their next request; this also takes them off the person's list), and
    the change audited. Returns how many sessions were ended."""
    ended = user_sessions_end_others(actor=actor, user=user, keep=keep_session, reason=how)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="user",
        object_id=user.pk,
        detail={"fields": ["password"], "how": how, "sessions_ended": ended},
    )
    return ended


def password_reset_request(*, actor: Actor, email: str, site_url: str) -> int:
    """Queues an email with a link to set a new password to each active account with a
    password whose address is `email` (any case), at most PASSWORD_RESET_EMAILS_PER_HOUR
    to one account in an hour; each audited. The caller answers the same whatever this
    finds, so the page never says whether an address has an account. Returns how many
    were queued (for tests)."""
    email = email.strip()
    if not email:
        return 0
    queued = 0
    for user in User.objects.filter(email__iexact=email, is_active=True).order_by("pk"):
        if not user.has_usable_password() or not password_reset_email_allowed(user_id=user.pk):
            continue
        with transaction.atomic():
            audit_record(
                actor=actor,
                action=AuditAction.CREATE,
                object_type="password_reset_link",
                object_id=user.pk,
            )
            send_password_reset_email.enqueue(user.pk, site_url)
        queued += 1
    return queued


@dataclass(frozen=True)
class SsoSignIn:
    """A single sign-on's outcome: the user to sign in, or why not."""

    user: User | None
    refusal: Refusal | None = None


def _accounts_matching(identity: Identity) -> list[User]:
    lookup = {
        "email": {"email__iexact": identity.match_value},
        "username": {"username__iexact": identity.match_value},
        "sso_id": {"sso_id": identity.match_value},
    }[identity.match_field]
    # Locked until the transaction ends: two sign-ins of one person at once apply their
    # groups one after the other.
    return list(User.objects.select_for_update().filter(**lookup).order_by("pk")[:2])


@transaction.atomic
def user_sso_sign_in(
    *,
    identity: Identity | Refusal,
    access: Access | Refusal,
    provision: bool,
    request_id: str,
    ip_address: str | None,
) -> SsoSignIn:
    """Decides whether the person the provider signed in may use OpenMASH, and brings
    their account into line with their groups (`access`), in one transaction with the
    audit events. Guarantees:

    - a deactivated account is refused and left as it is;
    - an account whose groups give no access loses every role it held, so no other way
      in (a password it still has) gives access either, and is refused;
    - someone with no account gets one only with `provision`, and then with their groups'
      agency and roles, never an account without both;
    - otherwise the account's agency and roles become exactly what the groups give
      (roles added and removed), and its names and email follow the claims.

    `identity` is a Refusal when the claims did not say who the person is. Every
    refusal is audited (SIGN_IN_FAILED, with the reason), every change too
    (CREATE or UPDATE, with the fields and roles). The sign-in itself is audited by the
    caller once the session exists."""
    system = Actor(system=SINGLE_SIGN_ON, request_id=request_id, ip_address=ip_address)

    def refuse(reason: Refusal, user: User | None = None) -> SsoSignIn:
        audit_record(
            actor=system,
            action=AuditAction.SIGN_IN_FAILED,
            object_type="user",
            object_id=user.pk if user else None,
            detail={"method": SINGLE_SIGN_ON, "reason": reason.value},
        )
        return SsoSignIn(user=None, refusal=reason)

    if isinstance(identity, Refusal):
        return refuse(identity)
    matching = _accounts_matching(identity)
    if len(matching) > 1:
        return refuse(Refusal.AMBIGUOUS_ACCOUNT)
    user = matching[0] if matching else None
    if user is not None and not user.is_active:
        return refuse(Refusal.INACTIVE, user)
    if isinstance(access, Refusal):
        if user is not None and access == Refusal.NO_MAPPED_GROUP:
            removed = sorted(user.role_grants.values_list("role", flat=True))
            if removed:
                user.role_grants.all().delete()
                audit_record(
                    actor=system,
                    action=AuditAction.UPDATE,
                    object_type="user",
                    object_id=user.pk,
                    detail={"roles_added": [], "roles_removed": removed, "fields": []},
                )
        return refuse(access, user)
    agency = Agency.objects.filter(slug=access.agency).first()
    if agency is None:
        # The agency's slug is configuration, not personal data.
        logger.error(
            "Single sign-on: OIDC_GROUP_MAP names agency %r, which does not exist", access.agency
        )
        return refuse(Refusal.UNKNOWN_AGENCY, user)
    roles = sorted(role.value for role in access.roles)
    if user is None:
        if not provision:
            return refuse(Refusal.UNKNOWN_USER)
        if User.objects.filter(username__iexact=identity.username).exists():
            return refuse(Refusal.USERNAME_TAKEN)
        user = User(
            username=identity.username,
            email=identity.email,
            first_name=identity.first_name,
            last_name=identity.last_name,
            agency=agency,
            sso_id=identity.match_value if identity.match_field == "sso_id" else "",
        )
        # Signs in through the provider only: no password to guess or to forget.
        user.set_unusable_password()
        user.save()
        UserRole.objects.bulk_create([UserRole(user=user, role=role) for role in roles])
        audit_record(
            actor=Actor(
                user=user, system=SINGLE_SIGN_ON, request_id=request_id, ip_address=ip_address
            ),
            action=AuditAction.CREATE,
            object_type="user",
            object_id=user.pk,
            detail={"provisioned": True, "agency": agency.slug, "roles": roles},
        )
        return SsoSignIn(user=user)
    held = set(user.role_grants.values_list("role", flat=True))
    added, removed = sorted(set(roles) - held), sorted(held - set(roles))
    fields = []
    if user.agency_id != agency.pk:
        user.agency = agency
        fields.append("agency")
    claimed = {"first_name": identity.first_name, "last_name": identity.last_name}
    if identity.match_field != "email":
        claimed["email"] = identity.email
    for field, value in claimed.items():
        if value and getattr(user, field) != value:
            setattr(user, field, value)
            fields.append(field)
    if fields:
        user.save(update_fields=fields)
    if removed:
        user.role_grants.filter(role__in=removed).delete()
    if added:
        UserRole.objects.bulk_create([UserRole(user=user, role=role) for role in added])
    if fields or added or removed:
        audit_record(
            actor=Actor(
                user=user, system=SINGLE_SIGN_ON, request_id=request_id, ip_address=ip_address
            ),
            action=AuditAction.UPDATE,
            object_type="user",
            object_id=user.pk,
            detail={"roles_added": added, "roles_removed": removed, "fields": sorted(fields)},
        )
    user.__dict__.pop("roles", None)  # the cached roles, read again when next asked
    return SsoSignIn(user=user)
