from typing import Any

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from openmash.accounts.models import Agency, ApiToken, DeactivationReason, User, UserRole
from openmash.accounts.services import (
    CannotDeactivateYourself,
    sign_in_attempts_clear,
    user_deactivate,
    user_reactivate,
    user_sign_in_unlock,
)
from openmash.core.audit import Actor, audit_record, audit_record_many
from openmash.core.models import AuditAction
from openmash.core.permissions import is_administrator
from openmash.core.time_text import plural


class AuditedAdminMixin:
    """Admin edits are audited like any other write, bulk deletes included."""

    audit_object_type = ""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        audit_record(
            actor=Actor.from_request(request),
            action=AuditAction.UPDATE if change else AuditAction.CREATE,
            object_type=self.audit_object_type,
            object_id=obj.pk,
            detail={"fields": sorted(form.changed_data)},
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        audit_record(
            actor=Actor.from_request(request),
            action=AuditAction.DELETE,
            object_type=self.audit_object_type,
            object_id=obj.pk,
        )
        super().delete_model(request, obj)  # type: ignore[misc]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        # The admin's "delete selected" bulk action: one event per object, as for one.
        audit_record_many(
            actor=Actor.from_request(request),
            action=AuditAction.DELETE,
            object_type=self.audit_object_type,
            objects=[(pk, None) for pk in queryset.values_list("pk", flat=True)],
        )
        super().delete_queryset(request, queryset)  # type: ignore[misc]


@admin.register(Agency)
class AgencyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    audit_object_type = "agency"
    list_display = [
        "name",
        "slug",
        "agency_type",
        "is_mash_partner",
        "team_email",
        "default_referral_source",
    ]
    list_filter = ["agency_type", "is_mash_partner"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class UserRoleInline(admin.TabularInline):
    """Shown, not changed: roles are given and taken away on the user administration pages
    (Administration > Users), where each change is checked and audited (ADR 0029)."""

    model = UserRole
    extra = 0
    verbose_name_plural = "roles (change them in Administration > Users)"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.action(description="Unlock sign-in for the selected users")
def unlock_sign_in(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[User]
) -> None:
    actor = Actor.from_request(request)
    cleared = sum(user_sign_in_unlock(actor=actor, user=user) for user in queryset)
    modeladmin.message_user(
        request,
        f"Unlocked sign-in for {plural(queryset.count(), 'user')} "
        f"({plural(cleared, 'record')} of failed sign-ins cleared).",
        messages.SUCCESS,
    )


@admin.action(description="Deactivate the selected users (they have left)")
def deactivate_leavers(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[User]
) -> None:
    actor = Actor.from_request(request)
    deactivated = 0
    for user in queryset.order_by("pk"):
        try:
            deactivated += user_deactivate(user=user, by=actor, reason=DeactivationReason.LEFT)
        except CannotDeactivateYourself:
            modeladmin.message_user(
                request, "You cannot deactivate your own account.", messages.WARNING
            )
    modeladmin.message_user(
        request,
        f"Deactivated {plural(deactivated, 'user')}: they are signed out and cannot sign in.",
        messages.SUCCESS,
    )


@admin.register(User)
class UserAdmin(AuditedAdminMixin, DjangoUserAdmin):
    audit_object_type = "user"
    inlines = [UserRoleInline]
    actions = [unlock_sign_in, deactivate_leavers]
    list_display = ["username", "first_name", "last_name", "agency", "is_active", "last_login"]
    list_filter = ["agency", "is_active", "deactivation_reason", "role_grants__role"]
    readonly_fields = ["deactivated_at", "deactivation_reason", "reactivated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # People are added at Administration > Users > Add a user: validated, audited, and
        # emailed a link to choose their own password (ADR 0029).
        return False

    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Agency", {"fields": ("agency", "job_title", "phone")}),
        ("Deactivation", {"fields": ("deactivated_at", "deactivation_reason", "reactivated_at")}),
        ("Single sign-on", {"fields": ("sso_id",)}),
    )

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        """Ticking or unticking "Active" goes through the same services as everywhere
        else: unticking ends the person's sessions at once (reason "other"), ticking starts
        the dormant-account clock again. Both audited."""
        if not change or "is_active" not in form.changed_data:
            super().save_model(request, obj, form, change)
            return
        actor = Actor.from_request(request)
        activate = obj.is_active
        # The services make the change; the rest of the form is saved around it.
        obj.is_active = not activate
        super().save_model(request, obj, form, change)
        if activate:
            user_reactivate(user=obj, by=actor)
        else:
            try:
                user_deactivate(user=obj, by=actor, reason=DeactivationReason.OTHER)
            except CannotDeactivateYourself:
                self.message_user(
                    request, "You cannot deactivate your own account.", messages.WARNING
                )


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdminMixin, admin.ModelAdmin):
    audit_object_type = "api_token"
    list_display = ["name", "agency", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["token_hash", "prefix", "created_at", "last_used_at"]
    fields = ["agency", "name", "prefix", "created_at", "last_used_at", "revoked_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Tokens are issued with `manage.py issue_api_token`, which shows the secret once.
        return False


def _administrators_only(request: HttpRequest) -> bool:
    return bool(request.user.is_active and is_administrator(request.user))


admin.site.has_permission = _administrators_only  # type: ignore[method-assign]
admin.site.site_header = "OpenMASH administration"
admin.site.site_title = "OpenMASH administration"


class SignInLockoutAdmin(AccessAttemptAdmin):
    """Failed sign-ins by username and address (django-axes); deleting one unlocks it, and
    is audited through the same service as the users' unlock action."""

    def delete_model(self, request: HttpRequest, obj: AccessAttempt) -> None:
        sign_in_attempts_clear(actor=Actor.from_request(request), attempt_ids=[obj.pk])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[AccessAttempt]) -> None:
        sign_in_attempts_clear(
            actor=Actor.from_request(request),
            attempt_ids=list(queryset.values_list("pk", flat=True)),
        )


admin.site.register(AccessAttempt, SignInLockoutAdmin)
