"""Shared plumbing for the benchmarks: throwaway databases, a real server, results.

The orchestrating side (run.py and each benchmark's main) never imports Django: every
measurement that needs Django runs in a child process pointed at one database by
DATABASE_URL, so PostgreSQL and SQLite figures come from the same code in one run.
"""

import contextlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
RESULTS_DIR = BENCH_DIR / "results"
DOCS = ROOT / "docs" / "BENCHMARKS.md"
PYTHON = sys.executable
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_URL_TEMPLATE = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/{name}")


def stop_cleanly_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so `finally` blocks stop servers and drop databases."""

    def leave(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, leave)


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# --- Statistics -----------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest value with pct% of the values at or below it."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


# --- Django in a child process ------------------------------------------------------------


def django_setup() -> None:
    """For the child processes: import the project and set Django up (settings from env)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmash.settings.local")
    import django

    django.setup()


def signed_in_client(username: str) -> Any:
    """Django's test Client signed in as `username` and past their second factor, as
    after a good code (the person's authenticator app, which seed_demo sets up; made if
    missing): every page but the two-factor ones needs both."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from openmash.accounts.models import User

    user = User.objects.get(username=username)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def django_env(database_url: str, var_dir: Path) -> dict[str, str]:
    """Environment for manage.py and child phases: demo settings without debug, quiet logs."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "openmash.settings.local",
            "DEBUG": "0",
            "DATABASE_URL": database_url,
            "OPENMASH_VAR_DIR": str(var_dir),
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def manage(args: list[str], env: dict[str, str], timeout: float = 900) -> str:
    """Run manage.py; returns its stdout, raises with its stderr on failure."""
    done = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-4000:]}")
    return done.stdout


def phase(script: str, args: list[str], env: dict[str, str], timeout: float = 1200) -> Any:
    """Run `python bench/<script> --phase ...` in a child; its last stdout line is JSON."""
    done = subprocess.run(
        [PYTHON, str(BENCH_DIR / script), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=None,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{script} {' '.join(args)} exited {done.returncode}")
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    return json.loads(lines[-1])


# --- Throwaway databases ------------------------------------------------------------------


def _pg_admin() -> Any:
    import psycopg

    return psycopg.connect(PG_ADMIN_URL, autocommit=True)


def pg_version() -> str:
    try:
        with _pg_admin() as conn:
            row = conn.execute("SHOW server_version").fetchone()
    except Exception as error:
        return f"PostgreSQL unavailable ({error.__class__.__name__})"
    return f"PostgreSQL {row[0].split()[0]}"


def _safe_name(name: str) -> str:
    if not re.fullmatch(r"openmash_bench[a-z0-9_]*", name):
        raise ValueError(f"Refusing to touch database {name!r}: not a benchmark database")
    return name


def pg_create(name: str) -> str:
    """A fresh, empty database (dropped first if a previous run left it); returns its URL."""
    name = _safe_name(name)
    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_URL_TEMPLATE.format(name=name)


def pg_drop(name: str) -> None:
    name = _safe_name(name)
    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_connect(database_url: str) -> Any:
    """An autocommit connection to a benchmark database, from its DATABASE_URL."""
    import psycopg

    return psycopg.connect(database_url.replace("postgres://", "postgresql://", 1), autocommit=True)


def pg_vacuum_analyze(database_url: str) -> None:
    with pg_connect(database_url) as conn:
        conn.execute("VACUUM ANALYZE")


@contextlib.contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        if os.environ.get("BENCH_KEEP"):  # keep the server logs to investigate errors
            log(f"kept {path}")
        else:
            shutil.rmtree(path, ignore_errors=True)


# --- A real server ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def load_note(when: str, readings: list[tuple[str, tuple[float, ...], tuple[float, ...]]]) -> str:
    """The machine's load average over one minute before and after each measured part
    (os.getloadavg() readings, with where each was taken): a benchmark alone keeps about
    one core busy, so more means other work shared the machine."""
    parts = ", ".join(
        f"{before[0]:.1f} before and {after[0]:.1f} after{' ' + where if where else ''}"
        for where, before, after in readings
    )
    return (
        f"Load average over one minute ({os.cpu_count()} cores) {when}: {parts} (this "
        "benchmark alone keeps about one core busy; more means other work shared the machine)."
    )


def wait_until_serving(
    server: subprocess.Popen[Any], base: str, name: str, log_path: Path, seconds: float
) -> None:
    """Poll `base`'s OpenAPI schema until the server answers; raise if it exits first or
    has not answered within `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"{name} exited early; see {log_path}")
        try:
            with urllib.request.urlopen(f"{base}/api/v1/openapi.json", timeout=5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start; see {log_path}") from None
            time.sleep(0.2)


@contextlib.contextmanager
def runserver(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """Django's threaded development server on 127.0.0.1, without the autoreloader.

    Yields its base URL; always stops it (by its own pid) on the way out.
    """
    port = free_port()
    with open(log_path, "w") as server_log:
        server = subprocess.Popen(
            [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=server_log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(server, base, "runserver", log_path, seconds=60)
        yield base
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=15)


# --- Results ------------------------------------------------------------------------------


@dataclass
class Figure:
    figure: str
    value: float | int | None
    unit: str
    peer: str = ""
    peer_value: float | int | None = None
    command: str = ""


def machine_note() -> str:
    return (
        f"{os.cpu_count()} cores, {platform.machine()}, Linux {platform.release().split('-')[0]}, "
        f"Python {platform.python_version()}, {pg_version()}, SQLite "
        f"{__import__('sqlite3').sqlite_version}; shared and noisy: medians and ratios, "
        "not absolutes"
    )


def _format(value: float | int | None) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int):
        return f"{value:,}"
    if value != value:  # NaN
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) < 1:
        return f"{value:.3f}"
    return f"{value:.2f}"


DOCS_INTRO = """# Benchmarks

Measured, not asserted: every figure below was written by `make bench`
(`.venv/bin/python bench/run.py`), which creates throwaway databases, starts a real server on
127.0.0.1, measures, and removes them again. Each benchmark replaces only its own section
here and writes the same figures as JSON to `bench/results/<name>.json`. Where a peer exists
(SQLite beside PostgreSQL, the in-process ceiling beside HTTP, 1,000 rows beside 250,000)
it was measured in the same run. The machine is small and shared: read medians and ratios,
not absolutes.
"""


def write_results(
    name: str,
    title: str,
    figures: list[Figure],
    command: str,
    description: str,
    notes: list[str],
    extra: dict[str, Any] | None = None,
) -> None:
    """Write bench/results/<name>.json and replace this benchmark's section of the docs."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = machine_note()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": name,
        "title": title,
        "date": when,
        "machine": machine,
        "command": command,
        "figures": [asdict(figure) for figure in figures],
        "notes": notes,
        **({"details": extra} if extra else {}),
    }
    (RESULTS_DIR / f"{name}.json").write_text(json.dumps(payload, indent=2) + "\n")

    rows = [
        "| Figure | Value | Unit | Peer | Peer value |",
        "| --- | ---: | --- | --- | ---: |",
    ]
    for figure in figures:
        rows.append(
            f"| {figure.figure} | {_format(figure.value)} | {figure.unit} | "
            f"{figure.peer or 'none'} | {_format(figure.peer_value)} |"
        )
    section = "\n".join(
        [
            f"<!-- bench:{name} -->",
            f"## {title}",
            "",
            description.strip(),
            "",
            f"- Machine: {machine}",
            f"- Date: {when}",
            f"- Command: `{command}`",
            f"- JSON: `bench/results/{name}.json`",
            "",
            *rows,
            "",
            *[f"- {note}" for note in notes],
            f"<!-- /bench:{name} -->",
        ]
    )
    text = DOCS.read_text() if DOCS.exists() else DOCS_INTRO
    pattern = re.compile(
        rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->", re.S
    )
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(text if text.endswith("\n") else text + "\n")
    log(f"wrote bench/results/{name}.json and its section of docs/BENCHMARKS.md")
