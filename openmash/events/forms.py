from typing import Any

from django import forms

from openmash.accounts.models import Agency
from openmash.area.models import HandOnTeam
from openmash.core.forms import GovukForm, GovukRadios
from openmash.events.models import WebhookEndpoint
from openmash.events.recipients import RECEIVING_TEAMS


def recipient_choices() -> list[tuple[str, str]]:
    teams = [
        (f"team:{team}", f"Receiving team: {HandOnTeam(team).label}") for team in RECEIVING_TEAMS
    ]
    agencies = [
        (f"agency:{agency.pk}", f"Referring agency: {agency.name}")
        for agency in Agency.objects.order_by("name")
    ]
    return teams + agencies


def recipient_value(endpoint: WebhookEndpoint) -> str:
    if endpoint.recipient_agency_id is not None:
        return f"agency:{endpoint.recipient_agency_id}"
    return f"team:{endpoint.recipient_team}"


class EndpointForm(GovukForm):
    name = forms.CharField(
        label="Name of the receiving system",
        help_text="For example, Early help case system",
        max_length=120,
        error_messages={
            "required": "Enter the name of the system that receives the events",
            "max_length": "Enter 120 characters or fewer",
        },
        widget=forms.TextInput(attrs={"class": "govuk-!-width-two-thirds"}),
    )
    recipient = forms.ChoiceField(
        label="Whose events it receives",
        help_text="A receiving team gets its hand-ons and the decisions behind them; a "
        "referring agency gets the outcomes of the contacts it made.",
        error_messages={
            "required": "Select who receives the events",
            "invalid_choice": "Select who receives the events",
        },
        widget=GovukRadios,
    )
    url = forms.CharField(
        label="Address the events are sent to",
        help_text="An https address. Each event is sent there as a signed POST request.",
        max_length=500,
        error_messages={
            "required": "Enter the address the events are sent to",
            "max_length": "Enter an address of 500 characters or fewer",
        },
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    secret_variable = forms.CharField(
        label="Environment variable that holds the signing secret",
        help_text="Its name, not the secret: for example OPENMASH_WEBHOOK_SECRET_EARLY_HELP. "
        "The server's administrator sets it to at least 32 random characters, and gives "
        "the same secret to the receiving system.",
        max_length=100,
        error_messages={
            "required": "Enter the name of the environment variable that holds the secret",
            "max_length": "Enter 100 characters or fewer",
        },
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    active = forms.ChoiceField(
        label="Send events to this endpoint?",
        choices=[("yes", "Yes"), ("no", "No, keep it switched off")],
        error_messages={
            "required": "Select whether to send events to this endpoint",
            "invalid_choice": "Select whether to send events to this endpoint",
        },
        widget=GovukRadios,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recipient"].choices = recipient_choices()  # type: ignore[attr-defined]
