from django.utils import timezone
from django_tasks import task

from openmash.enquiries.feedback import deadline_alerts_send


@task()
def send_deadline_alerts() -> int:
    """Remind people of deadlines coming up and alert managers to ones passed."""
    return deadline_alerts_send(now=timezone.now())
