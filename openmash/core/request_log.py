"""Every log line names the request it belongs to (X-Request-ID), and nothing else of it.

RequestIdMiddleware sets the id for the request's thread, cleared again when the response
is finished; RequestIdFilter writes it into each record (as "-" outside a request: the
background loops, management commands).
"""

import logging
from contextvars import ContextVar
from typing import Any

from django.core.signals import request_finished
from django.dispatch import receiver

current_request_id: ContextVar[str] = ContextVar("openmash_request_id", default="-")


@receiver(request_finished)
def _request_finished(sender: Any, **kwargs: Any) -> None:
    # A server thread serves request after request: the next line logged outside one
    # must not name the last.
    current_request_id.set("-")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id.get()
        return True
