"""The one GOV.UK radios widget: a hint under an option when it has one, none otherwise."""

from django import forms

from openmash.core.forms import GovukForm, GovukRadios


class RatingForm(GovukForm):
    rag = forms.ChoiceField(
        label="RAG rating",
        choices=[("red", "Red"), ("green", "Green")],
        widget=GovukRadios(hints={"red": "Decision within 4 hours"}),
    )


def test_it_shows_a_hint_under_the_option_that_has_one() -> None:
    html = str(RatingForm()["rag"])
    assert (
        '<div id="id_rag_0-item-hint" class="govuk-hint govuk-radios__hint">'
        "Decision within 4 hours</div>" in html
    )
    assert 'value="red" aria-describedby="id_rag_0-item-hint"' in html
    assert "id_rag_1-item-hint" not in html


def test_each_form_can_set_its_own_hints() -> None:
    first, second = RatingForm(), RatingForm()
    first.fields["rag"].widget.hints = {"green": "Decision within 3 days"}  # type: ignore[attr-defined]
    assert "Decision within 3 days" in str(first["rag"])
    assert "Decision within 3 days" not in str(second["rag"])
    assert "Decision within 4 hours" in str(second["rag"])
