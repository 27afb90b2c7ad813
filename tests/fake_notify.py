"""A local fake of GOV.UK Notify's HTTP API, for tests: a small threaded http.server
that serves POST /v2/notifications/email and GET /v2/notifications/{id} as Notify does,
checks the JWT in the Authorization header the official client sends (HS256, signed with
the secret half of the API key, `iss` the service id, `iat` within 30 seconds), and keeps
what it was sent. It can be told to answer the next requests with an error (400, 403,
429, 500) in Notify's error format, and what each notification's status is.

OpenMASH's own code runs unchanged against it, through notifications-python-client:
nothing of the client is mocked.
"""

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt

TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"
ERROR_NAMES = {
    400: "BadRequestError",
    403: "AuthError",
    404: "NoResultFound",
    429: "RateLimitError",
    500: "Exception",
}


@dataclass
class FakeNotify:
    service_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    secret: str = field(default_factory=lambda: str(uuid.uuid4()))
    # The JSON bodies of the emails it took, in order.
    sent: list[dict[str, Any]] = field(default_factory=list)
    # Every request it answered: (method, path, status).
    requests: list[tuple[str, str, int]] = field(default_factory=list)
    # Statuses to answer the next requests with, first first, instead of serving them.
    failures: list[int] = field(default_factory=list)
    # What GET /v2/notifications/{id} says of each notification.
    statuses: dict[str, str] = field(default_factory=dict)
    notifications: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    base_url: str = ""

    @property
    def api_key(self) -> str:
        # Notify's key format: the key's name, the service id and the secret.
        return f"openmash_test-{self.service_id}-{self.secret}"

    def fail_next(self, status: int, times: int = 1) -> None:
        with self.lock:
            self.failures.extend([status] * times)

    def sent_to(self, address: str) -> list[dict[str, Any]]:
        return [body for body in self.sent if body["email_address"] == address]


def _error(status: int, message: str) -> dict[str, Any]:
    return {
        "status_code": status,
        "errors": [{"error": ERROR_NAMES.get(status, "Exception"), "message": message}],
    }


def handler_for(fake: FakeNotify) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet in test output

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            # Recorded before answering: once the answer is written the client may go on
            # and look at the record before this thread gets to it.
            with fake.lock:
                fake.requests.append((self.command, self.path, status))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _authorised(self) -> bool:
            header = self.headers.get("Authorization", "")
            if not header.startswith("Bearer "):
                self._answer(
                    401, _error(401, "Unauthorized: authentication token must be provided")
                )
                return False
            try:
                claims = jwt.decode(
                    header.removeprefix("Bearer "),
                    key=fake.secret,
                    algorithms=["HS256"],
                    options={"require": ["iss", "iat"]},
                )
            except jwt.InvalidTokenError:
                self._answer(403, _error(403, "Invalid token: signature, api token not found"))
                return False
            if claims["iss"] != fake.service_id or abs(time.time() - int(claims["iat"])) > 30:
                self._answer(403, _error(403, "Invalid token: iss or iat"))
                return False
            return True

        def _injected_failure(self, detail: str) -> bool:
            with fake.lock:
                status = fake.failures.pop(0) if fake.failures else None
            if status is None:
                return False
            # Notify's 400 messages can quote what was sent: OpenMASH must not keep them.
            self._answer(status, _error(status, f"Injected failure for {detail}"))
            return True

        def do_POST(self) -> None:
            if not self._authorised():
                return
            if self.path != "/v2/notifications/email":
                self._answer(404, _error(404, "Not found"))
                return
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            if self._injected_failure(str(body.get("email_address"))):
                return
            personalisation = body.get("personalisation") or {}
            if body.get("template_id") != TEMPLATE_ID:
                self._answer(400, _error(400, "template_id is not a valid UUID or not found"))
                return
            missing = [key for key in ("subject", "body") if key not in personalisation]
            if "@" not in str(body.get("email_address", "")) or missing:
                self._answer(400, _error(400, f"Missing personalisation: {missing}"))
                return
            notification_id = str(uuid.uuid4())
            answer = {
                "id": notification_id,
                "reference": body.get("reference"),
                "content": {
                    "subject": personalisation["subject"],
                    "body": personalisation["body"],
                    "from_email": "mash@notifications.service.gov.uk",
                },
                "uri": f"{fake.base_url}/v2/notifications/{notification_id}",
                "template": {
                    "id": TEMPLATE_ID,
                    "version": 1,
                    "uri": f"{fake.base_url}/v2/template/{TEMPLATE_ID}",
                },
            }
            with fake.lock:
                fake.sent.append(body)
                fake.statuses[notification_id] = "created"
                fake.notifications[notification_id] = body
            self._answer(201, answer)

        def do_GET(self) -> None:
            if not self._authorised():
                return
            prefix = "/v2/notifications/"
            notification_id = self.path.removeprefix(prefix)
            if not self.path.startswith(prefix) or notification_id not in fake.notifications:
                self._answer(404, _error(404, "No result found"))
                return
            if self._injected_failure(notification_id):
                return
            body = fake.notifications[notification_id]
            self._answer(
                200,
                {
                    "id": notification_id,
                    "reference": body.get("reference"),
                    "email_address": body["email_address"],
                    "type": "email",
                    "status": fake.statuses[notification_id],
                    "template": {"id": TEMPLATE_ID, "version": 1},
                    "subject": body["personalisation"]["subject"],
                    "body": body["personalisation"]["body"],
                },
            )

    return Handler


class FakeNotifyServer:
    """Runs a FakeNotify on a free port on 127.0.0.1 until stopped."""

    def __init__(self) -> None:
        self.fake = FakeNotify()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(self.fake))
        self.server.daemon_threads = True
        host, port = self.server.server_address[:2]
        self.fake.base_url = f"http://{host!s}:{port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeNotify:
        self.thread.start()
        return self.fake

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
