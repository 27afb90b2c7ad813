"""Emails about a person's own account: the link to set a new password, and the welcome
with a link to set their first one when an administrator adds them.

Sent at once through the same channel as every OpenMASH email (GOV.UK Notify when an API
key is configured, else Django's email backend: openmash.core.notify), but not recorded
as a Message for retries and managers to see like the MASH's messages
(openmash.enquiries.message_delivery): the body holds a working credential, which must
not sit in a table. If the mail server does not take it, the person asks again
(docs/adr/0027-account-lifecycle.md). Logs name the account's id, never its address.
"""

import logging

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage, get_connection
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from openmash.accounts.models import User
from openmash.core.notify import notify_configured, notify_send_email
from openmash.core.time_text import plural

SEND_TIMEOUT_SECONDS = 20
logger = logging.getLogger(__name__)


def password_reset_link(*, user: User, site_url: str) -> str:
    """The single-use, time-limited address that lets `user` set a new password. Django's
    token: it stops working after PASSWORD_RESET_TIMEOUT, once the password changes, or
    once the person signs in."""
    path = reverse(
        "accounts:password-reset-confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return site_url.rstrip("/") + path


def password_reset_email_send(*, user: User, site_url: str) -> None:
    """Emails `user` a link to set a new password. Raises whatever the channel raises
    when it does not take the message."""
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    subject = f"Set a new password for {settings.MASH_AREA_NAME} on OpenMASH"
    body = "\n\n".join(
        [
            f"Dear {user.display_name},",
            f"Someone asked to set a new password for your OpenMASH account "
            f"(username: {user.username}). To choose a new password, open this link:",
            password_reset_link(user=user, site_url=site_url),
            f"The link works once, for {plural(minutes, 'minute')}.",
            "If you did not ask for this, you do not need to do anything: your password "
            "has not changed. Tell your OpenMASH administrator if it keeps happening.",
            f"{settings.MASH_AREA_NAME}",
        ]
    )
    _send(user=user, subject=subject, body=body, reference=f"openmash-password-reset-{user.pk}")


def account_created_email_send(*, user: User, site_url: str) -> None:
    """Tells `user` an account has been made for them, with a link to set their password
    (the same single-use, time-limited link as a forgotten password's). Raises whatever the
    channel raises when it does not take the message."""
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    subject = f"Your OpenMASH account for {settings.MASH_AREA_NAME}"
    body = "\n\n".join(
        [
            f"Dear {user.display_name},",
            f"An OpenMASH account has been made for you (username: {user.username}). "
            "To choose your password, open this link:",
            password_reset_link(user=user, site_url=site_url),
            f"The link works once, for {plural(minutes, 'minute')}. If it has stopped "
            'working, choose "Forgotten your password?" on the sign-in page and give '
            "this email address.",
            f"{settings.MASH_AREA_NAME}",
        ]
    )
    _send(user=user, subject=subject, body=body, reference=f"openmash-account-created-{user.pk}")


def _send(*, user: User, subject: str, body: str, reference: str) -> None:
    timeout = int(getattr(settings, "EMAIL_TIMEOUT", None) or SEND_TIMEOUT_SECONDS)
    if notify_configured():
        notify_send_email(
            to_email=user.email, subject=subject, body=body, reference=reference, timeout=timeout
        )
        return
    EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        connection=get_connection(fail_silently=False, timeout=timeout),
    ).send(fail_silently=False)
