import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError
from django.utils import timezone

from openmash.accounts.services import users_dormant_deactivate
from openmash.accounts.sessions import sessions_forget_ended
from openmash.core.heartbeats import heartbeat_record
from openmash.core.time_text import plural


class Command(BaseCommand):
    help = (
        "Deactivate the accounts nobody has signed in to for DORMANT_ACCOUNT_DAYS (each "
        "audited), and forget the sessions that have ended. Run it every hour or so: from "
        "cron, or with --every N to keep running every N seconds. Safe to run on several "
        "machines at once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=int, default=0, help="Repeat every N seconds.")

    def handle(self, *args: Any, every: int, **options: Any) -> None:
        while True:
            try:
                self._run()
                heartbeat_record(loop="account_lifecycle", every_seconds=every)
            except DatabaseError as error:
                if every <= 0:
                    raise
                # Keep the loop alive through a database restart; the next run catches up.
                self.stderr.write(f"Could not check the accounts this time: {error}")
            if every <= 0:
                return
            time.sleep(every)

    def _run(self) -> None:
        now = timezone.now()
        deactivated = users_dormant_deactivate(now=now)
        forgotten = sessions_forget_ended(now=now)
        days = settings.DORMANT_ACCOUNT_DAYS
        # Counts only: which accounts is in the audit log.
        self.stdout.write(
            f"Deactivated {plural(len(deactivated), 'account')} not signed in to for "
            f"{plural(days, 'day')}; forgot {plural(forgotten, 'ended session')}."
            if days > 0
            else f"Dormant accounts are not deactivated (DORMANT_ACCOUNT_DAYS=0); forgot "
            f"{plural(forgotten, 'ended session')}."
        )
