"""Django form fields and widgets that render GOV.UK Frontend components.

A template says `{{ form.field_name.as_field_group }}` and gets the GOV.UK
form group: label or legend, hint, inline error message and the input.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.forms.formsets import BaseFormSet
from django.forms.renderers import TemplatesSetting
from django.forms.widgets import ChoiceWidget
from django.utils import timezone

from openmash.core.period import LONGEST_PERIOD_DAYS, Period


class GovukFormRenderer(TemplatesSetting):
    field_template_name = "core/forms/field.html"


class HintedChoices(ChoiceWidget):
    """Choices with a hint under each: `hints` maps an option's value to its hint (a RAG
    rating's timescales, an outcome's next steps, what a role is for); a form sets it once
    it knows them, by assigning a new dict (the widget is copied for each form, the dict
    is not)."""

    def __init__(
        self,
        attrs: dict[str, Any] | None = None,
        choices: Any = (),
        *,
        hints: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(attrs, choices)
        self.hints: dict[str, str] = dict(hints or {})

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(*args, **kwargs)
        option["hint"] = self.hints.get(str(option["value"]), "")
        return option


class GovukRadios(HintedChoices, forms.RadioSelect):
    """GOV.UK radios, each with its hint (HintedChoices)."""

    template_name = "core/widgets/radios.html"


class GovukCheckboxes(HintedChoices, forms.CheckboxSelectMultiple):
    """GOV.UK checkboxes, each with its hint (HintedChoices)."""

    template_name = "core/widgets/checkboxes.html"


class GovukDateInput(forms.MultiWidget):
    """Day, month and year boxes (GOV.UK date input)."""

    template_name = "core/widgets/date_input.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        numeric = {"inputmode": "numeric", "class": "govuk-input govuk-date-input__input"}
        widgets: dict[str, forms.Widget | type[forms.Widget]] = {
            "day": forms.TextInput(
                attrs={**numeric, "class": numeric["class"] + " govuk-input--width-2"}
            ),
            "month": forms.TextInput(
                attrs={**numeric, "class": numeric["class"] + " govuk-input--width-2"}
            ),
            "year": forms.TextInput(
                attrs={**numeric, "class": numeric["class"] + " govuk-input--width-4"}
            ),
        }
        super().__init__(widgets, attrs)

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, date):
            return [value.day, value.month, value.year]
        return [None, None, None]


class GovukDateField(forms.MultiValueField):
    widget = GovukDateInput

    def __init__(self, **kwargs: Any) -> None:
        self.field_label = kwargs.pop("field_label", "date")
        fields = (
            forms.CharField(required=False),
            forms.CharField(required=False),
            forms.CharField(required=False),
        )
        super().__init__(fields=fields, require_all_fields=False, **kwargs)

    def compress(self, data_list: list[Any]) -> date | None:
        if not data_list or not any((part or "").strip() for part in data_list):
            return None
        day, month, year = ((part or "").strip() for part in data_list)
        missing = [
            name for name, part in (("day", day), ("month", month), ("year", year)) if not part
        ]
        if missing:
            raise forms.ValidationError(
                f"{self.field_label.capitalize()} must include a {' and a '.join(missing)}"
            )
        if not (day.isdigit() and month.isdigit() and year.isdigit()) or len(year) != 4:
            raise forms.ValidationError(
                f"{self.field_label.capitalize()} must be a real date, like 27 3 2019"
            )
        try:
            return date(int(year), int(month), int(day))
        except ValueError as error:
            raise forms.ValidationError(
                f"{self.field_label.capitalize()} must be a real date, like 27 3 2019"
            ) from error


_WIDGET_CLASSES = {
    forms.TextInput: "govuk-input",
    forms.EmailInput: "govuk-input",
    forms.NumberInput: "govuk-input",
    forms.PasswordInput: "govuk-input",
    forms.Textarea: "govuk-textarea",
    forms.Select: "govuk-select",
    forms.FileInput: "govuk-file-upload",
}
_ERROR_CLASSES = {
    "govuk-input": "govuk-input--error",
    "govuk-textarea": "govuk-textarea--error",
    "govuk-select": "govuk-select--error",
    "govuk-file-upload": "govuk-file-upload--error",
}


class GovukFormMixin:
    """Adds GOV.UK classes and ARIA links to every widget, and error styles after cleaning.

    `suppress_errors` renders a bound form (e.g. a restored draft) without errors.
    """

    suppress_errors = False
    fields: dict[str, forms.Field]

    def style_widgets(self) -> None:
        for name, field in self.fields.items():
            widget = field.widget
            for widget_type, css in _WIDGET_CLASSES.items():
                if type(widget) is widget_type:
                    existing = widget.attrs.get("class", "")
                    if css not in existing.split():
                        widget.attrs["class"] = f"{css} {existing}".strip()
            if field.help_text:
                widget.attrs.setdefault("aria-describedby", f"{self.field_id(name)}-hint")

    def field_id(self, name: str) -> str:
        prefix = getattr(self, "prefix", None)
        return f"id_{prefix}-{name}" if prefix else f"id_{name}"

    def shown_errors(self) -> dict[str, Any]:
        if self.suppress_errors:
            return {}
        return dict(self.errors)  # type: ignore[attr-defined]

    def mark_error_widgets(self) -> None:
        for name in self.errors:  # type: ignore[attr-defined]
            if name not in self.fields:
                continue
            widget = self.fields[name].widget
            if isinstance(widget, GovukDateInput):
                widget.attrs["has_error"] = True
            classes = widget.attrs.get("class", "")
            for css, error_css in _ERROR_CLASSES.items():
                if css in classes.split() and error_css not in classes:
                    widget.attrs["class"] = f"{classes} {error_css}"
            described = widget.attrs.get("aria-describedby", "")
            error_id = f"{self.field_id(name)}-error"
            if error_id not in described:
                widget.attrs["aria-describedby"] = f"{described} {error_id}".strip()


class GovukForm(GovukFormMixin, forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style_widgets()

    def full_clean(self) -> None:
        super().full_clean()
        if not self.suppress_errors:
            self.mark_error_widgets()


class PeriodForm(GovukForm):
    """From and to dates: a period of whole days, checked against `today`.

    Pages differ only in their wording, the period they offer first (`default_period`)
    and a check or two (`period_problem`); a subclass changes only those.
    """

    start = GovukDateField(label="From", required=False)
    end = GovukDateField(label="To", required=False)
    # How the hints and messages name the two dates.
    start_name = "start date"
    end_name = "end date"
    start_hint = "For example, 1 4 2026"
    end_hint = "For example, 30 9 2026"
    missing_start = "Enter the start date"
    missing_end = "Enter the end date"
    longest_days: int | None = LONGEST_PERIOD_DAYS
    # The figures pages take a period that runs on past today: their figures stop today.
    end_may_be_after_today = False

    def __init__(self, *args: Any, today: date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        for name, named, hint in (
            ("start", self.start_name, self.start_hint),
            ("end", self.end_name, self.end_hint),
        ):
            field = self.fields[name]
            field.field_label = named  # type: ignore[attr-defined]
            field.help_text = hint
        self.default = self.default_period()
        self.fields["start"].initial = self.default.start
        self.fields["end"].initial = self.default.end
        self.style_widgets()

    def default_period(self) -> Period:
        """The period the page offers before anything is typed."""
        raise NotImplementedError

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start is None and "start" not in self.errors:
            self.add_error("start", self.missing_start)
        if end is None and "end" not in self.errors:
            self.add_error("end", self.missing_end)
        if start is not None and end is not None:
            problem = self.period_problem(Period(start, end))
            if problem is not None:
                self.add_error(*problem)
        return cleaned

    def period_problem(self, period: Period) -> tuple[str, str] | None:
        """The first thing wrong with a typed period, as (field, message), or None."""
        if period.start > self.today:
            return "start", "Start date must be today or in the past"
        if period.end > self.today and not self.end_may_be_after_today:
            return "end", "End date must be today or in the past"
        if period.end < period.start:
            return "end", "End date must be the same as or after the start date"
        if self.longest_days is not None and period.days > self.longest_days:
            return "end", f"The period must be {self.longest_days} days or shorter"
        return None

    def period(self) -> Period:
        """The period typed (call after is_valid()); the default period if nothing was sent."""
        if not self.is_bound:
            return self.default
        return Period(self.cleaned_data["start"], self.cleaned_data["end"])


class AuditCheckForm(GovukForm):
    """An auditor asks for a check of the audit log, optionally with a hash recorded earlier."""

    expected_hash = forms.CharField(
        label="A seal hash you recorded earlier (optional)",
        help_text="64 characters, 0 to 9 and a to f. The check says whether it is still in "
        "the chain.",
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"class": "govuk-!-width-full", "spellcheck": "false", "autocomplete": "off"}
        ),
    )

    def clean_expected_hash(self) -> str:
        value = "".join(self.cleaned_data["expected_hash"].split()).lower()
        if value and (len(value) != 64 or any(c not in "0123456789abcdef" for c in value)):
            raise forms.ValidationError(
                "Enter a seal hash of 64 characters, 0 to 9 and a to f, or leave it empty"
            )
        return value


@dataclass(frozen=True)
class SummaryError:
    """One link in the GOV.UK error summary: the message, and where on the page it points."""

    message: str
    href: str


# Widgets drawn as several boxes (a date's day, month and year; radios, with hints or
# without; checkboxes): the summary links to the first box, as the GOV.UK error summary
# asks. Told by kind rather than by name, so a new kind of radios is covered too.
_SEVERAL_BOXES = (forms.MultiWidget, forms.RadioSelect, forms.CheckboxSelectMultiple)


def error_summary(
    *forms_on_page: forms.Form | BaseFormSet, form_href: str = "#main-content"
) -> list[SummaryError]:
    """The errors of the forms on a page for the GOV.UK error summary: form by form in
    the order given (a formset's own errors, then its forms in turn), each form's in the
    order of its fields (errors about the whole form first, linking to form_href), each
    linking to its field.
    An unbound form has none, nor does one that suppresses its errors (a restored draft).
    """
    summary: list[SummaryError] = []
    for form in forms_on_page:
        if isinstance(form, BaseFormSet):
            # Errors about the set as a whole (too many or too few, a tampered management
            # form) come first, linking to form_href, then each form's.
            if form.is_bound and not getattr(form, "suppress_errors", False):
                summary.extend(
                    SummaryError(str(message), form_href) for message in form.non_form_errors()
                )
            summary.extend(error_summary(*form.forms, form_href=form_href))
        elif not getattr(form, "suppress_errors", False):
            summary.extend(_form_errors(form, form_href))
    return summary


def form_errors_for_fields(
    form: forms.Form, fields: Iterable[str], *, form_href: str = "#main-content"
) -> list[SummaryError]:
    """The summary's errors of some of a form's fields (in the form's order), for a page
    that shows another form between them: the summary follows the page's order."""
    if getattr(form, "suppress_errors", False):
        return []
    return _form_errors(form, form_href, fields=set(fields), whole_form=False)


def _form_errors(
    form: forms.Form,
    form_href: str,
    *,
    fields: set[str] | None = None,
    whole_form: bool = True,
) -> list[SummaryError]:
    summary = (
        [SummaryError(str(message), form_href) for message in form.non_field_errors()]
        if whole_form
        else []
    )
    for name in form.fields:
        if name not in form.errors or (fields is not None and name not in fields):
            continue
        bound = form[name]
        several = isinstance(bound.field.widget, _SEVERAL_BOXES)
        href = f"#{bound.auto_id}{'_0' if several else ''}"
        summary.extend(SummaryError(str(message), href) for message in form.errors[name])
    return summary
