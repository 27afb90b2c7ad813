import logging

from django_tasks import task

from openmash.accounts.emails import account_created_email_send, password_reset_email_send
from openmash.accounts.models import User

logger = logging.getLogger(__name__)


@task()
def send_password_reset_email(user_id: int, site_url: str) -> bool:
    """Emails an active account with a password a link to set a new one (queued by
    password_reset_request; run by `manage.py db_worker`, so the page that asked answers
    in the same time whether or not the address has an account). True if sent."""
    user = User.objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if user is None or not user.has_usable_password():
        return False
    try:
        password_reset_email_send(user=user, site_url=site_url)
    except Exception as error:
        # The account's id and the kind of error only: never the address.
        logger.warning(
            "Password reset email for user %s not sent (%s).", user_id, type(error).__name__
        )
        return False
    return True


@task()
def send_account_created_email(user_id: int, site_url: str) -> bool:
    """Emails a new account (user_add) a link to set its password. True if sent."""
    user = User.objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if user is None:
        return False
    try:
        account_created_email_send(user=user, site_url=site_url)
    except Exception as error:
        # The account's id and the kind of error only: never the address.
        logger.warning(
            "New account email for user %s not sent (%s).", user_id, type(error).__name__
        )
        return False
    return True
