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

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who signs in. Belongs to one agency and holds one or more roles."""

    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    job_title = models.CharField(max_length=120, blank=True)
    phone = models.CharField(max_length=40, blank=True)

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
