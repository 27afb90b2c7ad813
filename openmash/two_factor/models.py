from django.conf import settings
from django.db import models
from django.utils import timezone

from openmash.core.roles import Role


class TwoFactorExemption(models.Model):
    """A role the area lets sign in without a second factor. None by default: every role
    must use one. Who exempted it and when is kept here and in the audit log (which also
    records when an exemption ends: the row is deleted)."""

    role = models.CharField(max_length=40, choices=Role.choices, unique=True)
    exempted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    exempted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["role"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} exempt from two-factor sign-in"
