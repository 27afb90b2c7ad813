"""Administrators see every agency's index feed imports (counts and errors, never people)
and may change an agency's index settings; changes are audited. The person index itself
is not in the admin: it is personal data, read only through the audited selectors."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from openmash.accounts.admin import AuditedAdminMixin
from openmash.linkage.models import AgencyIndexSettings, IndexImport


@admin.register(AgencyIndexSettings)
class AgencyIndexSettingsAdmin(AuditedAdminMixin, admin.ModelAdmin):
    audit_object_type = "agency_index_settings"
    list_display = ["agency", "visible_to_mash_screeners"]
    list_filter = ["visible_to_mash_screeners"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(IndexImport)
class IndexImportAdmin(admin.ModelAdmin):
    list_display = [
        "uploaded_at",
        "agency",
        "mode",
        "applied",
        "rows",
        "added",
        "updated",
        "removed",
    ]
    list_filter = ["agency", "applied", "mode"]
    readonly_fields = [
        "agency",
        "mode",
        "file_name",
        "uploaded_by",
        "uploaded_by_token",
        "uploaded_at",
        "rows",
        "applied",
        "added",
        "updated",
        "removed",
        "errors",
    ]

    # An import is a record of what happened: made only by the service, never edited.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
