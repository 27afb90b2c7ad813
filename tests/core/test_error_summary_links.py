"""Where each line of the GOV.UK error summary (openmash.core.forms.error_summary) links:
a field drawn as several boxes links to its first box, whatever the widget is named."""

from django import forms

from openmash.core.forms import GovukDateField, GovukForm, GovukRadios, SummaryError, error_summary


class RadiosWithHints(GovukRadios):
    """A kind of radios the summary has never heard of by name."""

    template_name = "core/widgets/radios.html"


class EveryKindForm(GovukForm):
    choice = forms.ChoiceField(choices=[("a", "A")], widget=GovukRadios)
    hinted = forms.ChoiceField(choices=[("a", "A")], widget=RadiosWithHints)
    when = GovukDateField()
    name = forms.CharField()

    def clean(self) -> dict[str, object]:
        raise forms.ValidationError("Something about the whole form")


def test_it_links_each_error_to_its_field_and_a_box_of_several_to_the_first() -> None:
    form = EveryKindForm({})
    assert error_summary(form, form_href="#the-form") == [
        SummaryError("Something about the whole form", "#the-form"),
        SummaryError("This field is required.", "#id_choice_0"),
        SummaryError("This field is required.", "#id_hinted_0"),
        SummaryError("This field is required.", "#id_when_0"),
        SummaryError("This field is required.", "#id_name"),
    ]
