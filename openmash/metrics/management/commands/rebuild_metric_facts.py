"""manage.py rebuild_metric_facts

Works out every contact's indicator facts (openmash.metrics.models.ContactFact) again
from the workflow's own tables: after a bulk load that did not go through the services,
after restoring a backup taken before the facts existed, or to check that the facts the
services wrote are right (the rows written are the rows the services would write).
Set-based: the tables it reads are analysed first (on PostgreSQL), then one
INSERT ... SELECT works out a range of contact ids at a time, each range in its own
transaction; the services keep writing facts while it runs."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from openmash.metrics.facts import REBUILD_BATCH, facts_rebuild


class Command(BaseCommand):
    help = "Rebuild the indicators' per-contact facts from the contacts, ratings and decisions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch",
            type=int,
            default=REBUILD_BATCH,
            help=f"Contact ids worked out per statement and transaction (default {REBUILD_BATCH}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        written = facts_rebuild(batch=max(1, options["batch"]))
        self.stdout.write(
            f"Facts of {written:,} contacts rebuilt in {time.monotonic() - started:.1f} s."
        )
