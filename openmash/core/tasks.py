from django_tasks import task

from openmash.core.heartbeats import heartbeat_record


@task()
def record_worker_heartbeat(every_seconds: int = 0) -> None:
    """Queued by the deadline loop each time round; run by `manage.py db_worker`, so its
    beat shows a worker is taking work from the queue (/healthz)."""
    heartbeat_record(loop="db_worker", every_seconds=every_seconds)
