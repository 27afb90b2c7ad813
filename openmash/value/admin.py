"""How an administrator sets what the MASH's work costs: hourly costs by role and agency,
and staff time per stage. Only administrators get in (openmash/value/rules.py); every
change is audited as the area's configuration is (AreaAdmin).

A figure already in force cannot be changed or deleted: that would rewrite the cost of
work done under it. A new figure from a date replaces it from then on (a pay award
backdated to April is a new figure from 1 April).
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone

from openmash.area.admin import AreaAdmin
from openmash.area.calendar import LONDON
from openmash.value.models import StaffCost, StageTime


def _today() -> Any:
    return timezone.localdate(timezone.now(), LONDON)


class ValueAdmin(AreaAdmin):
    """A figure in force is read-only; one not yet in force may be changed or deleted.
    (Django's bulk delete asks about each object, so it refuses a selection with a figure
    in force in it.)"""

    def _in_force(self, obj: Any) -> bool:
        return obj is not None and obj.pk is not None and obj.effective_from <= _today()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._in_force(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._in_force(obj) and super().has_delete_permission(request, obj)


class StaffCostForm(forms.ModelForm):
    class Meta:
        model = StaffCost
        fields = [
            "role",
            "agency_type",
            "agency",
            "hourly_cost",
            "includes_on_costs",
            "effective_from",
            "source",
        ]


@admin.register(StaffCost)
class StaffCostAdmin(ValueAdmin):
    audit_object_type = "staff_cost"
    form = StaffCostForm
    list_display = [
        "role",
        "agency_type",
        "agency",
        "hourly_cost",
        "includes_on_costs",
        "effective_from",
    ]
    list_filter = ["role", "agency_type"]
    ordering = ["role", "agency_type", "-effective_from", "-id"]


class StageTimeForm(forms.ModelForm):
    class Meta:
        model = StageTime
        fields = ["stage", "agency_type", "agency", "role", "minutes", "effective_from", "source"]


@admin.register(StageTime)
class StageTimeAdmin(ValueAdmin):
    audit_object_type = "stage_time"
    form = StageTimeForm
    list_display = ["stage", "agency_type", "agency", "role", "minutes", "effective_from"]
    list_filter = ["stage", "agency_type"]
    ordering = ["stage", "agency_type", "-effective_from", "-id"]
