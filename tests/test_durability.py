"""A contact acknowledged with 201 survives the server being killed straight after."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.factories import api_payload

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A throwaway database of the same kind the suite runs on."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        name = f"openmash_durability_{uuid.uuid4().hex[:8]}"
        admin_url = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        yield url.rsplit("/", 1)[0] + f"/{name}"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    else:
        yield f"sqlite:///{tmp_path / 'durability.sqlite3'}"


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def count_contacts(env: dict[str, str], reference: str) -> str:
    return (
        manage(
            env,
            "shell",
            "-c",
            f"from openmash.contacts.models import Contact; print(Contact.objects.filter(reference='{reference}').count())",
        )
        .strip()
        .splitlines()[-1]
    )


def test_an_acknowledged_contact_survives_the_server_being_killed(
    database_url: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "openmash.settings.local",
        "DEBUG": "0",
        "OPENMASH_VAR_DIR": str(tmp_path),
    }
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "seed_demo", "--days", "0")
    secret = manage(env, "issue_api_token", "--agency", "police", "--name", "durability").strip()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/contacts",
            data=json.dumps(api_payload()).encode(),
            headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 201
            reference = json.loads(response.read())["reference"]
        # Killed straight after the acknowledgement: no clean shutdown, no chance to flush.
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
    finally:
        if server.poll() is None:
            server.kill()

    assert count_contacts(env, reference) == "1"
