from django.contrib import admin
from django.http import HttpRequest

from openmash.accounts.admin import AuditedAdminMixin
from openmash.area.models import BankHoliday, LevelOfNeed, Outcome, RagLevel, WorkingHours


@admin.register(RagLevel)
class RagLevelAdmin(AuditedAdminMixin, admin.ModelAdmin):
    audit_object_type = "rag_level"
    list_display = [
        "label",
        "order",
        "decision_hours",
        "decision_counting",
        "check_hours",
        "check_counting",
        "active",
    ]


@admin.register(WorkingHours)
class WorkingHoursAdmin(AuditedAdminMixin, admin.ModelAdmin):
    audit_object_type = "working_hours"
    list_display = ["__str__", "reminder_hours_before"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # One hub, one set of opening hours.
        return not WorkingHours.objects.exists() and super().has_add_permission(request)


@admin.register(BankHoliday)
class BankHolidayAdmin(AuditedAdminMixin, admin.ModelAdmin):
    audit_object_type = "bank_holiday"
    list_display = ["day", "name"]
    date_hierarchy = "day"


@admin.register(LevelOfNeed)
class LevelOfNeedAdmin(AuditedAdminMixin, admin.ModelAdmin):
    audit_object_type = "level_of_need"
    list_display = ["number", "label"]


@admin.register(Outcome)
class OutcomeAdmin(AuditedAdminMixin, admin.ModelAdmin):
    audit_object_type = "outcome"
    list_display = ["label", "code", "hand_on_to", "closes_at_screening", "active"]
