from django.utils import timezone
from django_tasks import task

from openmash.enquiries.deadline_alerts import deadline_alerts_send
from openmash.enquiries.message_delivery import (
    messages_notify_status_refresh,
    messages_retry_due,
)


@task()
def send_deadline_alerts() -> int:
    """Remind people of deadlines coming up and alert managers to ones passed."""
    return deadline_alerts_send(now=timezone.now())


@task()
def retry_undelivered_messages() -> int:
    """Try again the emails the mail server (or GOV.UK Notify) did not take, each when its
    wait is over, and ask Notify what became of those it took."""
    now = timezone.now()
    sent = messages_retry_due(now=now)
    messages_notify_status_refresh(now=now)
    return sent
