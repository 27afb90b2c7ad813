import time
from datetime import date, datetime
from datetime import time as day_start
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils import timezone

from openmash.core.heartbeats import heartbeat_record
from openmash.governance.models import RecordType
from openmash.governance.retention import RetentionPlan, retention_apply, retention_plan

LOOP = "apply_retention"


class Command(BaseCommand):
    help = (
        "Anonymise or delete what the area's retention schedule says is due (ADR 0025), "
        "each with an audit event; never anything under a legal hold, a case still open or "
        "a strategy discussion in progress. --dry-run lists what would go and changes "
        "nothing. Run it daily: from cron, or with --every N to repeat every N seconds. "
        "Safe on several machines at once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="List what is due; change nothing."
        )
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            default=None,
            metavar="YYYY-MM-DD",
            help="With --dry-run: what would be due on that day (to plan ahead).",
        )
        parser.add_argument("--every", type=int, default=0, help="Repeat every N seconds.")
        parser.add_argument(
            "--limit", type=int, default=None, help="Remove at most this many records a run."
        )

    def handle(
        self,
        *args: Any,
        dry_run: bool,
        as_of: date | None,
        every: int,
        limit: int | None,
        **options: Any,
    ) -> None:
        if as_of is not None and not dry_run:
            raise CommandError("--as-of plans ahead only: give --dry-run with it.")
        if dry_run:
            now = (
                timezone.make_aware(datetime.combine(as_of, day_start.min))
                if as_of is not None
                else timezone.now()
            )
            self._print_plan(retention_plan(now=now))
            return
        while True:
            try:
                self._apply(limit)
                heartbeat_record(loop=LOOP, every_seconds=every)
            except DatabaseError as error:
                if every <= 0:
                    raise
                # Keep the loop alive through a database restart; the next run catches up.
                self.stderr.write(f"Could not apply the retention schedule this time: {error}")
            if every <= 0:
                return
            time.sleep(every)

    def _apply(self, limit: int | None) -> None:
        outcome = retention_apply(limit=limit)
        if outcome.run is None:
            self.stdout.write("Another machine is applying the retention schedule: nothing done.")
            return
        for record_type in RecordType:
            done = outcome.done.get(record_type, 0)
            if done:
                self.stdout.write(f"{record_type.label}: {done:,} removed")
        if not outcome.done:
            self.stdout.write("Nothing is due under the retention schedule.")
        if outcome.failed:
            raise CommandError(f"{outcome.failed} records could not be removed: see the log.")

    def _print_plan(self, plan: RetentionPlan) -> None:
        self.stdout.write(
            f"Dry run on {timezone.localtime(plan.now):%d %B %Y}: nothing is changed."
        )
        for record_type in RecordType:
            rule = plan.schedule[record_type]
            due = plan.due_counts.get(record_type, 0)
            held = plan.held_counts.get(record_type, 0)
            state = "" if rule.active else " (switched off: nothing removed)"
            self.stdout.write(
                f"\n{record_type.label}{state}: {due:,} due"
                + (f", {held:,} held back" if held else "")
            )
            for item in plan.due.get(record_type, []):
                self.stdout.write(
                    f"  {item.action} {item.object_type} {item.object_id}: {item.label}, "
                    f"due {timezone.localtime(item.due_at):%d %b %Y}"
                )
        for held_item in plan.held:
            self.stdout.write(f"Held back: {held_item.reference} ({', '.join(held_item.reasons)})")
        self.stdout.write(f"\n{plan.total_due:,} records would be removed.")
