"""gunicorn.conf.py: the production server's settings and its JSON access log, which
carries the request id and never a query string (so never a search term)."""

import json
import logging
import os
import runpy
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from gunicorn.config import Config

CONF = Path(__file__).resolve().parents[1] / "gunicorn.conf.py"


def load_conf(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    for name in list(os.environ):
        if name.startswith("GUNICORN_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


def test_it_takes_workers_threads_and_bind_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    conf = load_conf(
        monkeypatch, GUNICORN_WORKERS="5", GUNICORN_THREADS="3", GUNICORN_BIND="0.0.0.0:9000"
    )

    assert (conf["workers"], conf["threads"], conf["bind"]) == (5, 3, ["0.0.0.0:9000"])
    assert conf["worker_class"] == "gthread"
    assert conf["wsgi_app"] == "openmash.wsgi:application"


def test_by_default_it_listens_on_localhost_with_a_worker_per_cpu_and_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    conf = load_conf(monkeypatch)

    assert conf["bind"] == ["127.0.0.1:8000"]
    assert conf["workers"] == (os.cpu_count() or 1) + 1
    assert conf["timeout"] == 60
    assert conf["control_socket_disable"] is True


def test_sync_workers_have_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = load_conf(monkeypatch, GUNICORN_WORKER_CLASS="sync")

    assert conf["threads"] == 1


def test_the_access_log_is_json_with_the_request_id_and_no_query_string(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    conf = load_conf(monkeypatch)
    config = Config()
    config.set("accesslog", "-")
    logger = conf["JsonAccessLogger"](config)
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    logger.access_log.addHandler(Keep())
    response = SimpleNamespace(
        status="200 OK",
        headers=[("X-Request-ID", "abc123def456"), ("Content-Type", "text/html")],
        sent=512,
    )
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/contacts/access-log/search/xyz/",
        "QUERY_STRING": "q=Amy+Smith",
        "RAW_URI": "/contacts/access-log/search/xyz/?q=Amy+Smith",
        "HTTP_REFERER": "https://mash.example/?q=Amy+Smith",
        "REMOTE_ADDR": "10.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
    }

    logger.access(response, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=42))

    [line] = lines
    entry = json.loads(line)
    assert entry["request_id"] == "abc123def456"
    assert entry["path"] == "/contacts/access-log/search/xyz/"
    assert (entry["status"], entry["bytes"], entry["duration_ms"]) == (200, 512, 42.0)
    assert "Amy" not in line
    assert "q=" not in line


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/accounts/reset/MQ/cz5a1k-0123456789abcdef0123456789abcdef/", "/accounts/reset/MQ/-/"),
        ("/accounts/reset/MQ/set-password/", "/accounts/reset/MQ/-/"),
        ("/accounts/password-reset/", "/accounts/password-reset/"),
        ("/contacts/new/", "/contacts/new/"),
    ],
)
def test_the_access_log_leaves_out_the_secret_of_a_password_link(
    monkeypatch: pytest.MonkeyPatch, path: str, logged: str
) -> None:
    conf = load_conf(monkeypatch)

    assert conf["logged_path"](path) == logged
