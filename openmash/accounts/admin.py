from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from openmash.accounts.models import Agency, ApiToken, User, UserRole
from openmash.core.audit import Actor, audit_record, audit_record_many
from openmash.core.models import AuditAction
from openmash.core.permissions import is_administrator


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
    list_display = ["name", "slug", "agency_type", "is_mash_partner", "default_referral_source"]
    list_filter = ["agency_type", "is_mash_partner"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class UserRoleInline(admin.TabularInline):
    model = UserRole
    extra = 1


@admin.register(User)
class UserAdmin(AuditedAdminMixin, DjangoUserAdmin):
    audit_object_type = "user"
    inlines = [UserRoleInline]
    list_display = ["username", "first_name", "last_name", "agency", "is_active"]
    list_filter = ["agency", "is_active", "role_grants__role"]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Agency", {"fields": ("agency", "job_title", "phone")}),
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
