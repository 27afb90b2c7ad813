"""The backup and restore drill (issue 14, item 7): prove a backup can be restored.

Restores a pg_dump (the night's backup, or a dump taken now) into a new scratch database
on the same PostgreSQL server, runs `manage.py verify_audit` against the restored copy,
counts what it holds, checks every attached file the restored database names is in the
attachments backup with the SHA-256 it was stored with, and drops the scratch database.
Passes only if the restore, the audit check and the files check all pass. Uses the
PostgreSQL client programs (pg_dump, createdb, pg_restore, dropdb); prints counts, ids
and file names made safe, never a record's content. README, *Backups*; ADR 0025.
"""

import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import dj_database_url
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import connection
from django.utils import timezone

from openmash.core.attachments import attachment_storage

# What the drill counts in the restored copy: (table, what it holds).
COUNTED = (
    ("contacts_contact", "contacts"),
    ("contacts_contactperson", "people named in contacts"),
    ("enquiries_checkfinding", "agency findings"),
    ("enquiries_decision", "decisions"),
    ("enquiries_casenote", "case notes"),
    ("strategy_strategydiscussion", "strategy discussions"),
    ("linkage_indexedperson", "person index records"),
    ("enquiries_attachment", "files on contacts"),
    ("strategy_discussionattachment", "files on strategy discussions"),
    ("core_auditevent", "audit events"),
    ("core_auditseal", "audit seals"),
    ("accounts_user", "user accounts"),
)
FILE_TABLES = ("enquiries_attachment", "strategy_discussionattachment")
# PostgreSQL's longest identifier.
NAME_LIMIT = 63
# Environment variable naming the server (and a role allowed to create databases) the
# scratch copy is made on; by default the application's own DATABASE_URL's.
DRILL_URL_VARIABLE = "OPENMASH_DRILL_DATABASE_URL"


class DrillCannotRun(Exception):
    """The drill cannot start (no PostgreSQL, a missing program or file); says why."""


@dataclass
class DrillReport:
    scratch_database: str = ""
    dump: str = ""
    restored: bool = False
    audit_passed: bool = False
    audit_output: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    files_checked: bool = False
    files_named: int = 0
    files_missing: list[str] = field(default_factory=list)
    files_differing: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    dropped: bool = False

    @property
    def passed(self) -> bool:
        return (
            self.restored
            and self.audit_passed
            and not self.files_missing
            and not self.files_differing
            and not self.problems
        )


@dataclass(frozen=True)
class Server:
    """Where and as whom the client programs connect (libpq's environment variables)."""

    host: str
    port: str
    user: str
    password: str
    database: str

    @classmethod
    def from_url(cls, url: str) -> "Server":
        config = dj_database_url.parse(url)
        return cls(
            host=str(config.get("HOST") or ""),
            port=str(config.get("PORT") or ""),
            user=str(config.get("USER") or ""),
            password=str(config.get("PASSWORD") or ""),
            database=str(config.get("NAME") or ""),
        )

    @classmethod
    def of_default_database(cls) -> "Server":
        config = settings.DATABASES["default"]
        return cls(
            host=str(config.get("HOST") or ""),
            port=str(config.get("PORT") or ""),
            user=str(config.get("USER") or ""),
            password=str(config.get("PASSWORD") or ""),
            database=str(config["NAME"]),
        )

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        for name, value in (
            ("PGHOST", self.host),
            ("PGPORT", self.port),
            ("PGUSER", self.user),
            ("PGPASSWORD", self.password),
        ):
            if value:
                env[name] = value
            else:
                env.pop(name, None)
        return env

    def url_for(self, database: str) -> str:
        credentials = ""
        if self.user:
            credentials = quote(self.user, safe="")
            if self.password:
                credentials += ":" + quote(self.password, safe="")
            credentials += "@"
        location = self.host + (f":{self.port}" if self.port else "")
        return f"postgres://{credentials}{location}/{quote(database, safe='')}"


def _run(command: list[str], server: Server) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed programs, arguments from our settings
        command, env=server.environment(), capture_output=True, text=True, check=False
    )


def _program(name: str) -> str:
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        candidate = Path(directory) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise DrillCannotRun(
        f"The drill needs PostgreSQL's {name} program: install the postgresql-client package."
    )


def _scratch_name(source: str, now_text: str) -> str:
    suffix = f"_drill_{now_text}"
    return source[: NAME_LIMIT - len(suffix)] + suffix


def _local_attachments_dir() -> Path | None:
    storage = attachment_storage()
    if isinstance(storage, FileSystemStorage):
        return Path(storage.location)
    return None


def _tar_attachments(directory: Path, into: Path) -> Path:
    archive = into / "attachments.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(directory, arcname=".")
    return archive


def _extract(archive: Path, into: Path) -> None:
    with tarfile.open(archive, "r:*") as tar:
        # "data": no absolute paths, links out of the directory or device files.
        tar.extractall(into, filter="data")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _restored_rows(
    server: Server, database: str, sql: str, params: tuple[object, ...] = ()
) -> list[tuple[object, ...]]:
    import psycopg

    with psycopg.connect(
        host=server.host or None,
        port=server.port or None,
        user=server.user or None,
        password=server.password or None,
        dbname=database,
    ) as restored:
        return list(restored.execute(sql, params).fetchall())


def _check_files(report: DrillReport, server: Server, files_dir: Path) -> None:
    report.files_checked = True
    for table in FILE_TABLES:
        rows = _restored_rows(
            server,
            report.scratch_database,
            f"SELECT id, stored_name, sha256 FROM {table} ORDER BY id",  # noqa: S608
        )
        for pk, stored_name, sha256 in rows:
            report.files_named += 1
            path = files_dir / str(stored_name)
            label = f"{table} {pk}"
            if not path.is_file():
                report.files_missing.append(label)
            elif _sha256(path) != sha256:
                report.files_differing.append(label)


def restore_drill(
    *,
    dump: Path | None = None,
    attachments: Path | None = None,
    keep: bool = False,
    say: Callable[[str], None] = lambda line: None,
) -> DrillReport:
    """Run the drill (the module's docstring says what it does) and report. Raises
    DrillCannotRun when it cannot start; otherwise always drops the scratch database
    (unless `keep`) and returns what passed and what did not."""
    if connection.vendor != "postgresql":
        raise DrillCannotRun(
            "The restore drill restores a PostgreSQL backup into PostgreSQL: set "
            "DATABASE_URL to the PostgreSQL database (the backups are pg_dump's)."
        )
    for program in ("pg_dump", "pg_restore", "createdb", "dropdb"):
        _program(program)
    source = Server.of_default_database()
    drill_url = os.environ.get(DRILL_URL_VARIABLE, "")
    server = Server.from_url(drill_url) if drill_url else source
    report = DrillReport()
    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    with tempfile.TemporaryDirectory(prefix="openmash-drill-") as work_text:
        work = Path(work_text)
        if dump is None:
            dump = work / "openmash.dump"
            say(f"Dumping {source.database} (pg_dump, custom format) ...")
            dumped = _run(["pg_dump", "--format=custom", f"--file={dump}", source.database], source)
            if dumped.returncode != 0:
                raise DrillCannotRun(f"pg_dump failed: {dumped.stderr.strip()[:500]}")
            directory = _local_attachments_dir()
            if attachments is None and directory is not None:
                # A directory not made yet holds no files: any the dump names are missing.
                if not directory.is_dir():
                    directory = work / "no-attachments-yet"
                    directory.mkdir()
                say(f"Taking the attachments directory {directory} ...")
                attachments = _tar_attachments(directory, work)
        elif not dump.is_file():
            raise DrillCannotRun(f"No dump at {dump}.")
        if attachments is not None and not attachments.is_file():
            raise DrillCannotRun(f"No attachments backup at {attachments}.")
        report.dump = str(dump)
        report.scratch_database = _scratch_name(source.database, stamp)
        created = _run(["createdb", report.scratch_database], server)
        if created.returncode != 0:
            raise DrillCannotRun(
                f"Could not create the scratch database {report.scratch_database}: "
                f"{created.stderr.strip()[:500]} (the drill's role needs CREATEDB; "
                f"or set {DRILL_URL_VARIABLE})"
            )
        try:
            _restore_and_check(report, server, dump, attachments, work, say)
        finally:
            if keep:
                say(f"Kept the scratch database {report.scratch_database}.")
            else:
                _drop_scratch(report, server)
    return report


def _drop_scratch(report: DrillReport, server: Server) -> None:
    """Drop the scratch database, ending any session still connected to it (--force),
    and check it has gone: a drill must never leave a copy of children's records behind."""
    dropped = _run(["dropdb", "--if-exists", "--force", report.scratch_database], server)
    still_there = _database_exists(server, report.scratch_database)
    report.dropped = dropped.returncode == 0 and not still_there
    if not report.dropped:
        report.problems.append(
            f"Could not drop the scratch database {report.scratch_database}"
            + (" (it is still listed after dropdb)" if still_there else "")
            + f": {dropped.stderr.strip()[:300]}"
        )


def _database_exists(server: Server, database: str) -> bool:
    rows = _restored_rows(
        server, "postgres", "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
    )
    return bool(rows)


def _restore_and_check(
    report: DrillReport,
    server: Server,
    dump: Path,
    attachments: Path | None,
    work: Path,
    say: Callable[[str], None],
) -> None:
    say(f"Restoring into {report.scratch_database} (pg_restore) ...")
    restored = _run(
        [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            f"--dbname={report.scratch_database}",
            str(dump),
        ],
        server,
    )
    if restored.returncode != 0:
        report.problems.append(f"pg_restore failed: {restored.stderr.strip()[:500]}")
        return
    report.restored = True
    for table, _ in COUNTED:
        rows = _restored_rows(
            server,
            report.scratch_database,
            f"SELECT count(*) FROM {table}",  # noqa: S608 - names from COUNTED
        )
        report.counts[table] = int(rows[0][0])  # type: ignore[call-overload]
    say("Checking the restored audit log against its seals (verify_audit) ...")
    verify = subprocess.run(  # noqa: S603
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "verify_audit"],
        env={**os.environ, "DATABASE_URL": server.url_for(report.scratch_database)},
        capture_output=True,
        text=True,
        check=False,
        cwd=settings.BASE_DIR,
    )
    report.audit_output = (verify.stdout + verify.stderr).strip()
    report.audit_passed = verify.returncode == 0
    if attachments is not None:
        say("Checking every attached file the restored database names ...")
        files_dir = work / "attachments"
        files_dir.mkdir()
        _extract(attachments, files_dir)
        _check_files(report, server, files_dir)
