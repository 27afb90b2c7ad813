import time
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError

from openmash.core.audit_seals import SETTLE_MARGIN, audit_seal
from openmash.core.heartbeats import heartbeat_record


class Command(BaseCommand):
    help = (
        "Seal the audit events written since the last seal, so that any later change to "
        "them shows (ADR 0009). Run it every few minutes: from cron, or with --every N "
        "to keep sealing every N seconds."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=int, default=0, help="Repeat every N seconds.")
        parser.add_argument(
            "--settle-seconds",
            type=int,
            default=int(SETTLE_MARGIN.total_seconds()),
            help="Leave events younger than this for the next run (default %(default)s).",
        )

    def handle(self, *args: Any, every: int, settle_seconds: int, **options: Any) -> None:
        while True:
            try:
                self._seal(timedelta(seconds=settle_seconds))
                heartbeat_record(loop="seal_audit", every_seconds=every)
            except DatabaseError as error:
                if every <= 0:
                    raise
                # Keep the loop alive through a database restart; the next run catches up.
                self.stderr.write(f"Could not seal the audit log this time: {error}")
            if every <= 0:
                return
            time.sleep(every)

    def _seal(self, settle: timedelta) -> None:
        seals = audit_seal(settle=settle)
        for seal in seals:
            self.stdout.write(
                f"Sealed audit events {seal.first_event_id} to {seal.last_event_id} "
                f"({seal.event_count:,} events) as seal {seal.pk}: {seal.seal_hash}"
            )
        if not seals:
            self.stdout.write("No audit events to seal.")
