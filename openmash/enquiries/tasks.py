from django.utils import timezone
from django_tasks import task

from openmash.enquiries.deadline_alerts import deadline_alerts_send
from openmash.enquiries.message_delivery import messages_retry_due


@task()
def send_deadline_alerts() -> int:
    """Remind people of deadlines coming up and alert managers to ones passed."""
    return deadline_alerts_send(now=timezone.now())


@task()
def retry_undelivered_messages() -> int:
    """Try again the emails the mail server did not take, each when its wait is over."""
    return messages_retry_due(now=timezone.now())
