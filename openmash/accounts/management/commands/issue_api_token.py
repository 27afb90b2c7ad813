import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from openmash.accounts.models import Agency, ApiToken
from openmash.accounts.services import api_token_issue


class Command(BaseCommand):
    help = "Issue a bearer token for an agency's system to use the JSON API."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--agency", required=True, help="The agency's slug, e.g. police")
        parser.add_argument("--name", required=True, help="The system that will hold the token")

    def handle(self, *args: Any, agency: str, name: str, **options: Any) -> None:
        found = Agency.objects.filter(slug=agency).first()
        if found is None:
            known = ", ".join(Agency.objects.values_list("slug", flat=True)) or "none yet"
            raise CommandError(f"No agency with slug {agency!r}. Known agencies: {known}.")
        if ApiToken.objects.filter(agency=found, name=name).exists():
            raise CommandError(
                f"{found.name} already has a token named {name!r}; choose another name."
            )
        token, secret = api_token_issue(agency=found, name=name, issued_by=getpass.getuser())
        self.stderr.write(
            f"Issued token {token.prefix}… for {name} at {found.name}. "
            "It is shown once; store it in the system's secret store."
        )
        self.stdout.write(secret)
