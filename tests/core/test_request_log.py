"""Log lines name their request (X-Request-ID, honoured or made up) and, as JSON in
production, nothing else of it."""

import io
import json
import logging

from django.core.signals import request_finished
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from pythonjsonlogger.json import JsonFormatter

from openmash.core.middleware import RequestIdMiddleware
from openmash.core.request_log import RequestIdFilter, current_request_id
from openmash.settings import base


def _json_logger() -> tuple[logging.Logger, io.StringIO]:
    spec = dict(base.LOGGING["formatters"]["json"])  # type: ignore[index]
    spec.pop("()")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(**spec))
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("openmash.test.request_log")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def finish(response: HttpResponse) -> None:
    """What the server does once the response is sent (request_finished), without
    Django's closing of database connections, which a test's transaction forbids (as
    Django's test client does)."""
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


def test_a_log_line_in_a_request_carries_its_supplied_request_id() -> None:
    logger, stream = _json_logger()

    def view(request: HttpRequest) -> HttpResponse:
        logger.info("Contact %s recorded", 42)
        return HttpResponse("ok")

    request = RequestFactory().get("/", HTTP_X_REQUEST_ID="lb-0123456789abcdef")
    response = RequestIdMiddleware(view)(request)

    entry = json.loads(stream.getvalue())
    assert response["X-Request-ID"] == "lb-0123456789abcdef"
    assert entry["request_id"] == "lb-0123456789abcdef"
    assert entry["message"] == "Contact 42 recorded"
    assert {"time", "level", "logger"} <= set(entry)
    finish(response)
    assert current_request_id.get() == "-"


def test_an_unsafe_request_id_is_replaced_with_a_new_one() -> None:
    logger, stream = _json_logger()

    def view(request: HttpRequest) -> HttpResponse:
        logger.info("hello")
        return HttpResponse("ok")

    request = RequestFactory().get("/", HTTP_X_REQUEST_ID="<script>Amy Smith</script>")
    response = RequestIdMiddleware(view)(request)

    entry = json.loads(stream.getvalue())
    assert "Amy" not in response["X-Request-ID"]
    assert entry["request_id"] == response["X-Request-ID"]
    assert len(entry["request_id"]) == 32
    finish(response)


def test_outside_a_request_the_id_is_a_dash() -> None:
    logger, stream = _json_logger()

    logger.info("sealed")

    assert json.loads(stream.getvalue())["request_id"] == "-"


def test_django_s_request_log_is_written_without_the_query_string() -> None:
    logger, stream = _json_logger()
    request = RequestFactory().get("/contacts/nope/", {"q": "Amy Smith"})

    logger.warning("Not Found: %s", request.path, extra={"request": request, "status_code": 404})

    entry = json.loads(stream.getvalue())
    assert entry["message"] == "Not Found: /contacts/nope/"
    assert entry["status_code"] == 404
    assert "Amy" not in stream.getvalue()
