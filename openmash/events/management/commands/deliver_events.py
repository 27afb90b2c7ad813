import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from openmash.core.heartbeats import heartbeat_record
from openmash.events.delivery import retry_undelivered_events


class Command(BaseCommand):
    help = (
        "Queue the task that tries again the event deliveries the receiving systems did "
        "not take (run by `manage.py db_worker`); with --every N, keep queueing it every N "
        "seconds."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=int, default=0, help="Repeat every N seconds.")

    def handle(self, *args: Any, every: int, **options: Any) -> None:
        while True:
            result = retry_undelivered_events.enqueue()
            self.stdout.write(f"Queued retries of undelivered events ({result.id}).")
            heartbeat_record(loop="deliver_events", every_seconds=every)
            if every <= 0:
                return
            time.sleep(every)
