"""The one GOV.UK error summary: several forms and a formset's forms on one page."""

from django import forms
from django.forms import formset_factory

from openmash.core.forms import GovukForm, SummaryError, error_summary


class PersonForm(GovukForm):
    name = forms.CharField(label="Name", error_messages={"required": "Enter a name"})

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if cleaned.get("name") == "Nobody":
            raise forms.ValidationError("Name a real person")
        return cleaned


# Every person asked for must be named (an empty extra form would be skipped).
PeopleFormSet = formset_factory(PersonForm, extra=0, min_num=3)


def people(*names: str) -> dict[str, str]:
    data = {"people-TOTAL_FORMS": str(len(names)), "people-INITIAL_FORMS": "0"}
    data.update({f"people-{index}-name": name for index, name in enumerate(names)})
    return data


def test_it_lists_each_form_of_a_formset_in_turn() -> None:
    formset = PeopleFormSet(people("", "Nobody", "Amy"), prefix="people")
    assert not formset.is_valid()

    assert error_summary(formset, form_href="#people") == [
        SummaryError("Enter a name", "#id_people-0-name"),
        SummaryError("Name a real person", "#people"),
    ]


def test_it_lists_a_form_then_a_formset_and_skips_a_form_that_hides_its_errors() -> None:
    first = PersonForm({"name": ""})
    hidden = PersonForm({"name": ""}, prefix="draft")
    hidden.suppress_errors = True
    formset = PeopleFormSet(people(""), prefix="people")

    assert error_summary(first, hidden, formset) == [
        SummaryError("Enter a name", "#id_name"),
        SummaryError("Enter a name", "#id_people-0-name"),
    ]


def test_an_unbound_form_has_no_errors_to_list() -> None:
    assert error_summary(PersonForm(), PeopleFormSet(prefix="people")) == []
