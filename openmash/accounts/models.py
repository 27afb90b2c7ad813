import hashlib
import secrets
from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone

from openmash.core.roles import AgencyType, Role


class Agency(models.Model):
    """An organisation: a MASH partner agency, or one that refers into the MASH."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    agency_type = models.CharField(max_length=40, choices=AgencyType.choices)
    is_mash_partner = models.BooleanField(
        default=False, help_text="Sits in the hub and researches its own records."
    )
    default_referral_source = models.CharField(
        max_length=3,
        blank=True,
        help_text="CIN census referral source code used for this agency's referrers, e.g. 2A.",
    )
    team_email = models.EmailField(
        "team inbox",
        blank=True,
        help_text="The MASH team's shared inbox, told when the MASH asks this agency to "
        "check its records. Left empty, the agency's researchers are told one by one.",
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name


class DeactivationReason(models.TextChoices):
    LEFT = "left", "Left the service or changed job"
    DORMANT = "dormant", "Not signed in for too long"
    SECURITY = "security", "A security concern"
    OTHER = "other", "Another reason"


class User(AbstractUser):
    """A person who signs in. Belongs to one agency and holds one or more roles."""

    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    job_title = models.CharField(max_length=120, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    # Deactivation (openmash/accounts/services.py, user_deactivate): set together with
    # is_active=False, cleared when an administrator lets the person sign in again.
    deactivated_at = models.DateTimeField(null=True, blank=True, editable=False)
    deactivation_reason = models.CharField(
        max_length=20, choices=DeactivationReason.choices, blank=True, editable=False
    )
    # When an administrator last let a deactivated person sign in again: the dormant-account
    # clock starts from the latest of this, their last sign-in and the day they joined.
    reactivated_at = models.DateTimeField(null=True, blank=True, editable=False)
    sso_id = models.CharField(
        "single sign-on id",
        max_length=255,
        blank=True,
        help_text="Who this person is at the area's identity provider: the value of the claim "
        "OIDC_USER_CLAIM names when that is not their email address or username (for "
        "Microsoft Entra ID, their object id). Filled in when single sign-on creates the "
        "account; fill it in to link an existing account.",
    )

    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]  # django-stubs lacks it
        constraints = [
            models.UniqueConstraint(
                fields=["sso_id"], condition=~models.Q(sso_id=""), name="one_account_per_sso_id"
            )
        ]

    @cached_property
    def roles(self) -> frozenset[str]:
        if not self.pk or not self.is_active:
            return frozenset()
        return frozenset(self.role_grants.values_list("role", flat=True))

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class UserRole(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(max_length=40, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="one_grant_per_role")]

    def __str__(self) -> str:
        return self.get_role_display()


def hash_token(raw: str) -> str:
    # Tokens are 256-bit random strings, so a fast hash is enough to keep them
    # unusable if the table leaks.
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token issued to one agency's system for the JSON API."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=120, help_text="The system that holds the token.")
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise it.")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "name"], name="one_token_name_per_agency")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.agency.slug}, {self.prefix}…)"

    @staticmethod
    def new_secret() -> str:
        return "omash_" + secrets.token_urlsafe(32)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class UserSession(models.Model):
    """One signed-in session of a person, for their list of active sessions (docs/adr/
    0027-account-lifecycle.md). Recorded when they sign in by any path (Django's
    user_logged_in signal), its last-seen time refreshed at most once a minute, removed
    when they sign out, when it is ended from another session, and by the account loop
    once it has expired. Holds no more than the list shows: the address cut short and a
    summary of the browser, never the full address or the browser's own text."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    # Django's session key (at most 40 characters), so the session can be ended. Kept up
    # to date when the key changes (a password change starts a new key).
    session_key = models.CharField(max_length=40, unique=True)
    signed_in_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    address = models.CharField(max_length=60, blank=True)
    browser = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["-last_seen_at", "-pk"]
        indexes = [models.Index(fields=["last_seen_at"])]

    def __str__(self) -> str:
        return f"Session {self.pk} of user {self.user_id}"
