"""A local receiving system for the event outbox's webhooks: an HTTP server on 127.0.0.1
in a thread, which checks each request's signature and keeps what it took, ignoring an
event id it already has (as a receiver should)."""

import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from openmash.accounts.models import Agency, User
from openmash.core.audit import Actor
from openmash.enquiries.models import HandOn
from openmash.events.models import WebhookEndpoint
from openmash.events.services import EndpointInput, endpoint_create
from tests.enquiries.conftest import (  # noqa: F401 (fixtures)
    early_help_coordinator,
    manager,
    partner_agencies,
    researchers,
)
from tests.enquiries.test_hand_on_views import STEP_DOWN_INPUT, decided_contact

SECRET = "s3cret-for-the-early-help-case-system-0123456789"
SECRET_VARIABLE = "OPENMASH_WEBHOOK_SECRET_EARLY_HELP"


@dataclass
class Received:
    """One request the receiver took: its headers, raw body and whether it was new."""

    # Case-insensitive, as HTTP header names are.
    headers: Message
    body: bytes
    signature_valid: bool

    @property
    def document(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    port: int
    requests: list[Received] = field(default_factory=list)
    # Event ids taken, in the order first taken: a repeat is acknowledged, not stored again.
    taken: list[str] = field(default_factory=list)
    # Answer this status (after recording the request) for the next N requests.
    fail_next: list[int] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/openmash/events"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                timestamp = self.headers.get("OpenMASH-Timestamp", "")
                expected = hmac.new(
                    SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256
                ).hexdigest()
                valid = hmac.compare_digest(
                    self.headers.get("OpenMASH-Signature", ""), f"sha256={expected}"
                )
                receiver.requests.append(Received(self.headers, body, valid))
                if not valid:
                    self.send_response(401)
                    self.end_headers()
                    return
                event_id = self.headers["OpenMASH-Event-Id"]
                if event_id not in receiver.taken:
                    receiver.taken.append(event_id)
                status = receiver.fail_next.pop(0) if receiver.fail_next else 204
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """Not started: a test starts it (and stops it, to be down)."""
    made = Receiver(free_port())
    yield made
    made.stop()


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(SECRET_VARIABLE, SECRET)
    return SECRET


@pytest.fixture
def administrator(personas: dict[str, User]) -> User:
    return personas["administrator"]


@pytest.fixture
def early_help_endpoint(administrator: User, receiver: Receiver, secret: str) -> WebhookEndpoint:
    return endpoint_create(
        actor=Actor(user=administrator),
        data=EndpointInput(
            name="Early help case system",
            recipient="team:early_help",
            url=receiver.url,
            secret_variable=SECRET_VARIABLE,
            active=True,
        ),
    )


@pytest.fixture
def hand_on_to_early_help(
    school_referrer: User,
    screener: User,
    manager: User,  # noqa: F811
    partner_agencies: dict[str, Agency],  # noqa: F811
    researchers: dict[str, User],  # noqa: F811
) -> Callable[[], HandOn]:
    """Decide a contact for early help after police, health and education's research
    (police found the family known, with restricted information)."""

    def decide() -> HandOn:
        return decided_contact(
            school_referrer,
            screener,
            manager,
            STEP_DOWN_INPUT,
            agencies=partner_agencies,
            researchers=researchers,
        )

    return decide
