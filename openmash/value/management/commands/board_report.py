"""manage.py board_report --month 2026-10 --output board-report-2026-10.pdf

Writes the month's board report as a PDF (openmash.value.services.board_report_create),
recorded in the audit log as made by this command, or by the person named with --user
(who must be allowed to download board reports)."""

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from openmash.accounts.models import User
from openmash.core.audit import Actor
from openmash.value.board_report import Month, MonthNotOver, last_complete_month
from openmash.value.services import board_report_create

SYSTEM = "board_report command"


class Command(BaseCommand):
    help = "Write the monthly board report for the safeguarding partnership board as a PDF."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--month", default="", help="The month, e.g. 2026-10 (default: last month)."
        )
        parser.add_argument("--output", required=True, help="Where to write the PDF.")
        parser.add_argument(
            "--user",
            default="",
            help="Record the report as made by this person (a username) rather than the command.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            month = Month.parse(options["month"]) if options["month"] else last_complete_month()
        except ValueError as error:
            raise CommandError(f"Give the month like 2026-10: {error}") from error
        actor = Actor(system=SYSTEM)
        if options["user"]:
            user = User.objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(f"No active user {options['user']!r}.")
            actor = Actor(user=user)
        try:
            report = board_report_create(actor=actor, month=month)
        except MonthNotOver as error:
            raise CommandError(str(error)) from error
        except PermissionDenied as error:
            raise CommandError(
                f"{options['user']} may not download board reports "
                "(MASH managers and analysts may)."
            ) from error
        output = Path(options["output"])
        output.write_bytes(report.pdf)
        self.stdout.write(
            f"Wrote the board report for {month.label} ({report.pages} pages) to {output}."
        )
