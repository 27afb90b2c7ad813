"""The findings form: one fieldset per person the agency was asked to search for.

The forms only read what was typed; the MASH's rules (what must be given, how long
text may be) are checked by services.check_record_findings, whose errors come back
keyed "findings-<index>-<field>", the same names the fields have here.
"""

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS

from openmash.accounts.models import Agency
from openmash.contacts.codes import LawfulBasis
from openmash.contacts.models import ContactPerson
from openmash.core.forms import GovukDateField, GovukForm, GovukRadios
from openmash.core.roles import AgencyType
from openmash.enquiries.models import OnwardSharing
from openmash.enquiries.services.checks import FindingInput

FINDINGS_PREFIX = "findings"
KNOWN, NOT_KNOWN = "yes", "no"

# The lawful basis an agency usually shares under: the police share under the DPA 2018's
# law enforcement provisions, other public bodies under their public task.
DEFAULT_LAWFUL_BASIS = {AgencyType.POLICE: LawfulBasis.LAW_ENFORCEMENT_SAFEGUARDING}


def default_lawful_basis(agency: Agency) -> str:
    return DEFAULT_LAWFUL_BASIS.get(
        AgencyType(agency.agency_type), LawfulBasis.PUBLIC_TASK_SAFEGUARDING
    ).value


class FindingForm(GovukForm):
    """What the agency found about one person."""

    known = forms.ChoiceField(widget=GovukRadios, required=False)
    summary = forms.CharField(
        label="Summary of what is known",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Involvement, incidents and any current work with the person. "
        "Leave blank if the person is not known",
    )
    risk_indicators = forms.CharField(
        label="Risk indicators (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example, weapons, violence to staff, missing episodes",
    )
    last_involvement_on = GovukDateField(
        label="Date of most recent involvement (optional)",
        required=False,
        field_label="date of most recent involvement",
        help_text="For example, 27 3 2026",
    )
    lawful_basis = forms.ChoiceField(
        label="Lawful basis for sharing",
        choices=LawfulBasis.choices,
        widget=GovukRadios,
        required=False,
    )
    restricted_information = forms.CharField(
        label="Information not to be disclosed outside the MASH (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example, a victim's new address or who gave you the information. "
        "It stays in the MASH record and is never passed on",
    )
    summary_restricted = forms.BooleanField(
        label="The whole summary must not be disclosed outside the MASH",
        required=False,
    )
    onward_sharing = forms.ChoiceField(
        label="May the team that receives the case see this finding?",
        choices=OnwardSharing.choices,
        widget=GovukRadios,
        required=False,
        help_text="If the MASH hands the case on (for example to early help), the manager "
        "can pass on only what you release here. Information not to be disclosed is "
        "never passed on",
    )
    onward_summary = forms.CharField(
        label="Summary the receiving team may see",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed if you share a summary. For example, risks to a worker visiting "
        "the home, without the source or detail of incidents",
    )
    onward_lawful_basis = forms.ChoiceField(
        label="Lawful basis for sharing it onward",
        choices=LawfulBasis.choices,
        widget=GovukRadios,
        required=False,
    )

    def __init__(self, *args: Any, person: ContactPerson, agency: Agency, **kwargs: Any) -> None:
        basis = default_lawful_basis(agency)
        kwargs.setdefault("initial", {"lawful_basis": basis, "onward_lawful_basis": basis})
        super().__init__(*args, **kwargs)
        self.person = person
        known = self.fields["known"]
        known.label = f"Is {person.full_name} known to {agency.name}?"
        known.choices = [  # type: ignore[attr-defined]
            (KNOWN, f"Known to {agency.name}"),
            (NOT_KNOWN, f"Not known to {agency.name}"),
        ]

    def finding_input(self) -> FindingInput:
        data = self.cleaned_data
        known = data.get("known")
        return FindingInput(
            person_id=self.person.pk,
            known=None if not known else known == KNOWN,
            summary=data.get("summary") or "",
            risk_indicators=data.get("risk_indicators") or "",
            last_involvement_on=data.get("last_involvement_on"),
            lawful_basis=data.get("lawful_basis") or "",
            restricted_information=data.get("restricted_information") or "",
            summary_restricted=bool(data.get("summary_restricted")),
            onward_sharing=data.get("onward_sharing") or "",
            onward_summary=data.get("onward_summary") or "",
            onward_lawful_basis=data.get("onward_lawful_basis") or "",
        )


def finding_forms(
    people: list[ContactPerson], agency: Agency, data: Any = None
) -> list[FindingForm]:
    """One form per person, in the order of the contact (the order the service checks
    them in), each prefixed "findings-<index>"."""
    return [
        FindingForm(data, person=person, agency=agency, prefix=f"{FINDINGS_PREFIX}-{index}")
        for index, person in enumerate(people)
    ]


def attach_finding_errors(
    forms_: list[FindingForm], errors: dict[str, str], *, not_over_own: bool = False
) -> list[str]:
    """Put each of the service's errors next to the field it is about; returns those
    that belong to no one field. `not_over_own`: leave out an error about a field that
    already shows one of the form's own (the service's rules checked beside the forms',
    so both are shown in one round)."""
    general: list[str] = []
    for key, message in errors.items():
        prefix, _, rest = key.partition("-")
        index_text, _, field = rest.partition("-")
        if prefix == FINDINGS_PREFIX and index_text.isdigit() and int(index_text) < len(forms_):
            form = forms_[int(index_text)]
            target = field if field in form.fields else None
            if not_over_own and form.errors.get(target or NON_FIELD_ERRORS):
                continue
            form.add_error(target, message)
        else:
            general.append(message)
    for form in forms_:
        form.mark_error_widgets()
    return general
