import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from openmash.core.heartbeats import heartbeat_record
from openmash.core.tasks import record_worker_heartbeat
from openmash.enquiries.tasks import retry_undelivered_messages, send_deadline_alerts


class Command(BaseCommand):
    help = (
        "Queue the deadline reminders and alerts task and the task that tries again the "
        "emails the mail server did not take (both run by `manage.py db_worker`); with "
        "--every N, keep queueing them every N seconds (for cron-less hosts and the demo)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=int, default=0, help="Repeat every N seconds.")

    def handle(self, *args: Any, every: int, **options: Any) -> None:
        while True:
            result = send_deadline_alerts.enqueue()
            self.stdout.write(f"Queued deadline alerts ({result.id}).")
            result = retry_undelivered_messages.enqueue()
            self.stdout.write(f"Queued retries of undelivered emails ({result.id}).")
            # /healthz: this loop ran; the worker's own beat comes when it runs the task.
            heartbeat_record(loop="deadline_alerts", every_seconds=every)
            record_worker_heartbeat.enqueue(every_seconds=every)
            if every <= 0:
                return
            time.sleep(every)
