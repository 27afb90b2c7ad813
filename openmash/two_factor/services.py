"""Setting up, using and resetting a person's second factors; who must use one.

django-otp holds the devices and checks every code (no cryptography here): a TOTPDevice
for an authenticator app, a StaticDevice whose tokens are the single-use recovery codes.
Each write is one transaction with its audit event; the audit log never holds a code or
a secret.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from openmash.accounts.models import User
from openmash.core.audit import Actor, audit_record
from openmash.core.models import AuditAction
from openmash.core.roles import Role
from openmash.two_factor.models import TwoFactorExemption

AUTHENTICATOR_APP = "authenticator app"
RECOVERY_CODES = "recovery codes"
# Administrators can change who else must use a second factor, so they always must.
NEVER_EXEMPT = frozenset({Role.ADMINISTRATOR.value})


class NoFactor(Exception):
    """Recovery codes are for someone with a factor to recover."""


@dataclass(frozen=True)
class Verification:
    device: Device
    kind: str  # AUTHENTICATOR_APP or RECOVERY_CODES
    recovery_codes_left: int


# --- Who must use a second factor ------------------------------------------------------


def two_factor_exempt_roles() -> frozenset[str]:
    return frozenset(TwoFactorExemption.objects.values_list("role", flat=True))


def two_factor_exemptions_list() -> list[TwoFactorExemption]:
    return list(TwoFactorExemption.objects.select_related("exempted_by"))


def two_factor_required(*, user: User, signed_in_with_sso: bool) -> bool:
    """Whether `user` must pass a second factor in this session.

    Everyone must, unless every role they hold is exempted by the area (someone with no
    role yet is not exempt), or they signed in through the area's identity provider and
    settings.OIDC_IDP_ENFORCES_MFA says the provider asked for a second factor already.
    Someone who has set up a factor uses it whatever the exemptions say."""
    if signed_in_with_sso and settings.OIDC_IDP_ENFORCES_MFA:
        return False
    if two_factor_has_factor(user=user):
        return True
    roles = user.roles
    return not roles or not roles <= two_factor_exempt_roles()


def two_factor_has_factor(*, user: User) -> bool:
    """A confirmed factor to sign in with (recovery codes alone are not one)."""
    return any(
        not isinstance(device, StaticDevice) for device in devices_for_user(user, confirmed=True)
    )


def two_factor_recovery_codes_left(*, user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def two_factor_authenticator_apps(*, user: User) -> list[TOTPDevice]:
    return list(TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id"))


# --- Setting up an authenticator app ---------------------------------------------------


@transaction.atomic
def two_factor_totp_start(*, actor: Actor, user: User) -> TOTPDevice:
    """A new, unconfirmed authenticator-app device with a new random secret (django-otp's
    default key), replacing any earlier unconfirmed one. It is not a factor until
    two_factor_totp_confirm accepts a code from it."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def two_factor_totp_pending(*, user: User, device_id: int) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, pk=device_id, confirmed=False).first()


@transaction.atomic
def two_factor_totp_confirm(
    *, actor: Actor, user: User, device_id: int, code: str
) -> list[str] | None:
    """Confirms the unconfirmed device `device_id` of `user` with a code from it. Returns
    new recovery codes when the person had none (shown once, and kept nowhere else in
    clear), else an empty list; None when the code is not accepted (not raised, so that
    the device's count of wrong codes is kept). Never confirms someone else's device."""
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, pk=device_id, confirmed=False)
        .first()
    )
    if device is None or not device.verify_token(_digits(code)):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="two_factor_device",
        object_id=device.persistent_id,
        detail={"user": user.pk, "kind": AUTHENTICATOR_APP},
    )
    if two_factor_recovery_codes_left(user=user):
        return []
    return _recovery_codes_issue(actor=actor, user=user)


@transaction.atomic
def two_factor_totp_preenrol(*, actor: Actor, user: User, key: str) -> TOTPDevice:
    """A confirmed authenticator-app device with a given secret (hex): the demonstration
    data's, whose secret is published so that anyone trying the demo can sign in. Not
    for real accounts, which set up their own at first sign-in."""
    device = TOTPDevice.objects.create(
        user=user, name="Authenticator app (demonstration)", key=key, confirmed=True
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="two_factor_device",
        object_id=device.persistent_id,
        detail={"user": user.pk, "kind": AUTHENTICATOR_APP, "demonstration": True},
    )
    return device


# --- Recovery codes ---------------------------------------------------------------------


def _recovery_codes_issue(*, actor: Actor, user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes: set[str] = set()
    while len(codes) < settings.TWO_FACTOR_RECOVERY_CODES:
        codes.add(StaticToken.random_token())
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="two_factor_device",
        object_id=device.persistent_id,
        detail={"user": user.pk, "kind": RECOVERY_CODES, "count": len(codes)},
    )
    return sorted(codes)


@transaction.atomic
def two_factor_recovery_codes_regenerate(*, actor: Actor, user: User) -> list[str]:
    """New recovery codes for someone with a factor; the old ones stop working."""
    if not two_factor_has_factor(user=user):
        raise NoFactor
    return _recovery_codes_issue(actor=actor, user=user)


# --- Signing in with a second factor -----------------------------------------------------


def _digits(code: str) -> str:
    return "".join(code.split()).replace("-", "")


@transaction.atomic
def two_factor_check(*, actor: Actor, user: User, code: str) -> Verification | None:
    """Checks a code typed after the password: six digits from an authenticator app, or
    a recovery code (used up by this). Each device's own throttling makes a try after a
    wrong code wait (1, 2, 4... seconds). Audited either way, without the code. None when
    not accepted (returned, not raised, so the failure's audit and count are kept)."""
    typed = _digits(code).lower()
    devices: Iterable[Device]
    if typed.isdigit():
        devices, kind = TOTPDevice.objects.filter(user=user, confirmed=True), AUTHENTICATOR_APP
    else:
        devices, kind = StaticDevice.objects.filter(user=user, confirmed=True), RECOVERY_CODES
    for device in devices:
        if device.verify_token(typed):
            left = two_factor_recovery_codes_left(user=user)
            audit_record(
                actor=actor,
                action=AuditAction.SIGN_IN,
                object_type="user",
                object_id=user.pk,
                detail={"second_factor": kind, "recovery_codes_left": left},
            )
            return Verification(device=device, kind=kind, recovery_codes_left=left)
    audit_record(
        actor=actor,
        action=AuditAction.SIGN_IN_FAILED,
        object_type="user",
        object_id=user.pk,
        detail={"second_factor": kind},
    )
    return None


def two_factor_signed_in(*, actor: Actor, user: User, kind: str) -> None:
    """Records a second factor passed by a ceremony django-otp's plugins check themselves
    (a security key)."""
    audit_record(
        actor=actor,
        action=AuditAction.SIGN_IN,
        object_type="user",
        object_id=user.pk,
        detail={"second_factor": kind},
    )


# --- Administration ---------------------------------------------------------------------


@transaction.atomic
def two_factor_reset(*, actor: Actor, user: User) -> int:
    """Removes every second factor of `user` (authenticator apps, security keys, recovery
    codes), for someone who has lost theirs. At their next request they are sent to set
    up a new one before anything else. Returns how many devices went; audited."""
    devices = list(devices_for_user(user, confirmed=None))
    for device in devices:
        device.delete()
    audit_record(
        actor=actor,
        action=AuditAction.DELETE,
        object_type="two_factor_device",
        object_id="",
        detail={"user": user.pk, "reset": True, "devices": len(devices)},
    )
    return len(devices)


@transaction.atomic
def two_factor_exemptions_set(*, actor: Actor, roles: Iterable[str]) -> None:
    """Makes exactly `roles` exempt from two-factor sign-in (none by default).
    Administrators are never exempt (ValueError). Audited with what changed."""
    wanted = {Role(role).value for role in roles}
    if wanted & NEVER_EXEMPT:
        raise ValueError("Administrators always sign in with a second factor.")
    current = set(two_factor_exempt_roles())
    added, removed = sorted(wanted - current), sorted(current - wanted)
    if not added and not removed:
        return
    TwoFactorExemption.objects.filter(role__in=removed).delete()
    now = timezone.now()
    for role in added:
        TwoFactorExemption.objects.create(role=role, exempted_by=actor.user, exempted_at=now)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="two_factor_exemption",
        object_id="",
        detail={"exempted": added, "no_longer_exempt": removed},
    )


def two_factor_user(*, user_id: int) -> User | None:
    """The person an administrator is resetting (only their name and username are
    shown)."""
    return User.objects.filter(pk=user_id).select_related("agency").first()
