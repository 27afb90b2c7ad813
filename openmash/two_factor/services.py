"""Setting up, using and resetting a person's second factors; who must use one.

django-otp holds the devices and checks every code (no cryptography here): a TOTPDevice
for an authenticator app, a WebAuthnCredential (django-otp-webauthn) for a security key
or passkey, a StaticDevice whose tokens are the single-use recovery codes.
Each write is one transaction with its audit event; the audit log never holds a code or
a secret.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.exceptions import OTPWebAuthnApiError
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.utils import rewrite_exceptions
from webauthn.helpers.exceptions import WebAuthnException

from openmash.accounts.models import User
from openmash.core.audit import Actor, audit_record
from openmash.core.models import AuditAction
from openmash.core.roles import Role
from openmash.two_factor.models import TwoFactorExemption
from openmash.two_factor.security_keys import SecurityKeyHelper

AUTHENTICATOR_APP = "authenticator app"
SECURITY_KEY = "security key"
RECOVERY_CODES = "recovery codes"
# Administrators can change who else must use a second factor, so they always must.
NEVER_EXEMPT = frozenset({Role.ADMINISTRATOR.value})


class NoFactor(Exception):
    """Recovery codes are for someone with a factor to recover."""


class SecurityKeyRefused(Exception):
    """The browser's answer to a security key's challenge did not check out (a
    challenge not issued or already used, another site's origin, a bad signature, a
    malformed answer). Nothing was written."""


# A malformed answer can fail anywhere in parsing it, not only in the library's checks.
_REFUSED_ANSWERS = (OTPWebAuthnApiError, WebAuthnException, KeyError, TypeError, ValueError)
_log = logging.getLogger("openmash.two_factor")


@dataclass(frozen=True)
class Verification:
    device: Device
    kind: str  # AUTHENTICATOR_APP, SECURITY_KEY or RECOVERY_CODES
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


# --- Security keys and passkeys ---------------------------------------------------------


def two_factor_security_keys(*, user: User) -> list[WebAuthnCredential]:
    """The person's security keys and passkeys, oldest first."""
    return list(
        WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at", "id")
    )


def two_factor_security_key(*, user: User, key_id: int) -> WebAuthnCredential | None:
    """One of `user`'s own security keys; None for anyone else's (or none)."""
    return WebAuthnCredential.objects.filter(user=user, pk=key_id, confirmed=True).first()


def two_factor_security_key_register_begin(
    *, user: User, ceremony: SecurityKeyHelper
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The options for the browser's navigator.credentials.create() (a new random
    challenge, this site's relying party, the keys the person has already, so that one
    key is not registered twice), and the state to keep in the session for the answer."""
    return ceremony.register_begin(user=user)


@transaction.atomic
def two_factor_security_key_register(
    *,
    actor: Actor,
    user: User,
    ceremony: SecurityKeyHelper,
    state: dict[str, Any],
    answer: dict[str, Any],
    name: str,
) -> tuple[WebAuthnCredential, list[str]]:
    """Keeps a new security key or passkey for `user`, named `name`, once
    django-otp-webauthn has checked the browser's answer to the challenge in `state`.
    Returns the key and new recovery codes when the person had none (shown once), else
    an empty list. Raises SecurityKeyRefused (nothing written) when the answer does not
    check out. Audited, without the key's public key or id."""
    try:
        with rewrite_exceptions(logger=None):
            key = ceremony.register_complete(user=user, state=state, data=answer)
    except _REFUSED_ANSWERS as error:
        _log.warning("A security key was not added: %s", type(error).__name__)
        raise SecurityKeyRefused(str(error)) from error
    key.name = name
    key.save(update_fields=["name"])
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="two_factor_device",
        object_id=key.persistent_id,
        detail={"user": user.pk, "kind": SECURITY_KEY},
    )
    if two_factor_recovery_codes_left(user=user):
        return key, []
    return key, _recovery_codes_issue(actor=actor, user=user)


def two_factor_security_key_sign_in_begin(
    *, user: User, ceremony: SecurityKeyHelper
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The options for navigator.credentials.get(): a new challenge, and only `user`'s
    own keys allowed."""
    return ceremony.authenticate_begin(user=user, require_user_verification=False)


@transaction.atomic
def two_factor_security_key_check(
    *,
    actor: Actor,
    user: User,
    ceremony: SecurityKeyHelper,
    state: dict[str, Any],
    answer: dict[str, Any],
) -> Verification | None:
    """Checks the browser's answer to a sign-in challenge: django-otp-webauthn finds the
    key, refuses anyone else's, and checks the challenge, origin, signature and counter
    (and records its use). Audited either way; None when not accepted (returned, not
    raised, so that the failure's audit event is kept)."""
    try:
        with rewrite_exceptions(logger=None):
            key = ceremony.authenticate_complete(user=user, state=state, data=answer)
    except _REFUSED_ANSWERS as error:
        # The kind of refusal only: never the answer, which identifies the key.
        _log.warning("A security key was not accepted: %s", type(error).__name__)
        key = None
    if key is None or not key.confirmed:
        audit_record(
            actor=actor,
            action=AuditAction.SIGN_IN_FAILED,
            object_type="user",
            object_id=user.pk,
            detail={"second_factor": SECURITY_KEY},
        )
        return None
    two_factor_signed_in(actor=actor, user=user, kind=SECURITY_KEY)
    return Verification(
        device=key,
        kind=SECURITY_KEY,
        recovery_codes_left=two_factor_recovery_codes_left(user=user),
    )


@transaction.atomic
def two_factor_security_key_remove(*, actor: Actor, user: User, key_id: int) -> bool:
    """Removes one of `user`'s own security keys (never anyone else's: False). Audited.
    If it was their only factor they set up another at their next sign-in."""
    key = (
        WebAuthnCredential.objects.select_for_update()
        .filter(user=user, pk=key_id, confirmed=True)
        .first()
    )
    if key is None:
        return False
    persistent_id = key.persistent_id
    key.delete()
    audit_record(
        actor=actor,
        action=AuditAction.DELETE,
        object_type="two_factor_device",
        object_id=persistent_id,
        detail={"user": user.pk, "kind": SECURITY_KEY},
    )
    return True


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
    security_keys = sum(isinstance(device, WebAuthnCredential) for device in devices)
    for device in devices:
        device.delete()
    audit_record(
        actor=actor,
        action=AuditAction.DELETE,
        object_type="two_factor_device",
        object_id="",
        detail={
            "user": user.pk,
            "reset": True,
            "devices": len(devices),
            "security_keys": security_keys,
        },
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
