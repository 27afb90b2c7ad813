"""The backup and restore drill (issue 14, item 7): `manage.py restore_drill` restores a
pg_dump into a scratch database, `verify_audit` passes on the restored copy, every
attached file is in the attachments backup, and the scratch database is dropped; a
tampered audit log or a missing file fails it. Run for real with PostgreSQL's client
programs against the test database; deploy/bin/openmash-restore-drill.sh picks the night's
newest backup files."""

import os
import subprocess
import tarfile
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from openmash.accounts.models import User
from openmash.contacts.models import Contact
from openmash.core.audit import Actor
from openmash.core.audit_seals import audit_seal
from openmash.enquiries.services.attachments import attachment_add
from openmash.governance.restore_drill import DrillCannotRun, restore_drill
from tests.attachment_files import PDF
from tests.core.tampering import tamper

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "bin" / "openmash-restore-drill.sh"
ON_POSTGRESQL = connection.vendor == "postgresql"
NEEDS_POSTGRESQL = pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="The drill restores a pg_dump into PostgreSQL: run with DATABASE_URL=postgres://...",
)


def scratch_databases() -> list[str]:
    """This test database's drill copies (another test worker's drill, running at the
    same time on its own database, is not this one's to count)."""
    own = connection.settings_dict["NAME"].replace("_", r"\_")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", [own + r"\_drill\_%"]
        )
        return [row[0] for row in cursor.fetchall()]


@pytest.fixture
def sealed_contact(school_contact: Contact, screener: User) -> Contact:
    attachment_add(
        actor=Actor(user=screener),
        contact_id=school_contact.pk,
        upload=SimpleUploadedFile("referral.pdf", PDF, content_type="application/pdf"),
    )
    audit_seal(now=timezone.now() + timedelta(minutes=5))
    return school_contact


@NEEDS_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_the_drill_restores_a_fresh_dump_and_the_audit_log_verifies(
    sealed_contact: Contact,
) -> None:
    before = set(scratch_databases())
    out = StringIO()

    call_command("restore_drill", stdout=out)

    text = out.getvalue()
    assert "RESTORE DRILL: PASS" in text
    assert "Audit log: matches its seals." in text
    assert "The audit log matches its seals." in text
    assert f"{Contact.objects.count():>10,}  contacts" in text
    assert "Attached files: 1 of 1 present and unchanged." in text
    assert set(scratch_databases()) == before  # the scratch copy is dropped


@NEEDS_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_a_tampered_audit_log_fails_the_drill(sealed_contact: Contact) -> None:
    tamper(
        "UPDATE core_auditevent SET object_id = %s WHERE id = (SELECT min(id) FROM core_auditevent)",
        ["tampered"],
    )
    out = StringIO()

    with pytest.raises(CommandError, match="restore drill failed"):
        call_command("restore_drill", stdout=out)

    assert "DOES NOT PASS verify_audit" in out.getvalue()
    assert "events changed after sealing" in out.getvalue()
    assert "RESTORE DRILL: FAIL" in out.getvalue()


@NEEDS_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_a_file_missing_from_the_attachments_backup_fails_the_drill(
    sealed_contact: Contact, tmp_path: Path
) -> None:
    dump = tmp_path / "openmash-20261205T021500Z.dump"
    subprocess.run(
        ["pg_dump", "--format=custom", f"--file={dump}", connection.settings_dict["NAME"]],
        env=os.environ
        | {
            key: str(value)
            for key, value in (
                ("PGHOST", connection.settings_dict.get("HOST")),
                ("PGPORT", connection.settings_dict.get("PORT")),
                ("PGUSER", connection.settings_dict.get("USER")),
                ("PGPASSWORD", connection.settings_dict.get("PASSWORD")),
            )
            if value
        },
        check=True,
    )
    empty = tmp_path / "openmash-attachments-20261205T021600Z.tar.gz"
    with tarfile.open(empty, "w:gz") as archive:
        archive.add(tmp_path, arcname=".", filter=lambda info: info if info.isdir() else None)

    report = restore_drill(dump=dump, attachments=empty)

    assert report.restored and report.audit_passed
    assert report.files_named == 1 and len(report.files_missing) == 1
    assert not report.passed
    assert report.dropped


@pytest.mark.skipif(ON_POSTGRESQL, reason="shows what the drill says on SQLite")
@pytest.mark.django_db
def test_on_sqlite_the_drill_says_it_needs_postgresql() -> None:
    with pytest.raises(DrillCannotRun, match="PostgreSQL"):
        restore_drill()
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("restore_drill", stdout=StringIO())


@pytest.fixture
def backups(tmp_path: Path) -> dict[str, Path]:
    """A backup directory with two nights, and an OpenMASH whose python records its
    arguments instead of running."""
    directory = tmp_path / "backups"
    directory.mkdir()
    for night, when in (("20261204", 1_000_000), ("20261205", 2_000_000)):
        for name in (
            f"openmash-{night}T021500Z.dump",
            f"openmash-attachments-{night}T021510Z.tar.gz",
        ):
            (directory / name).write_text(night)
            os.utime(directory / name, (when, when))
    home = tmp_path / "openmash"
    (home / ".venv" / "bin").mkdir(parents=True)
    python = home / ".venv" / "bin" / "python"
    python.write_text('#!/bin/sh\necho "$@"\n')
    python.chmod(0o755)
    return {"backups": directory, "home": home}


def run_script(place: dict[str, Path], *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": os.environ["PATH"],
        "OPENMASH_BACKUP_DIR": str(place["backups"]),
        "OPENMASH_HOME": str(place["home"]),
        **env,
    }
    return subprocess.run(
        ["/bin/sh", str(SCRIPT), *args], env=environment, capture_output=True, text=True
    )


def test_the_script_drills_the_newest_night(backups: dict[str, Path]) -> None:
    result = run_script(backups)

    assert result.returncode == 0, result.stderr
    directory = backups["backups"]
    assert result.stdout.split() == [
        "manage.py",
        "restore_drill",
        "--dump",
        str(directory / "openmash-20261205T021500Z.dump"),
        "--attachments",
        str(directory / "openmash-attachments-20261205T021510Z.tar.gz"),
    ]
    assert os.access(SCRIPT, os.X_OK)


def test_the_script_drills_the_files_it_is_given(backups: dict[str, Path]) -> None:
    dump = backups["backups"] / "openmash-20261204T021500Z.dump"
    result = run_script(backups, str(dump))

    assert result.returncode == 0, result.stderr
    assert f"--dump {dump} --attachments" in result.stdout


def test_with_attachments_in_a_bucket_only_the_database_is_drilled(
    backups: dict[str, Path],
) -> None:
    for tar in backups["backups"].glob("openmash-attachments-*"):
        tar.unlink()

    result = run_script(backups, ATTACHMENTS_S3_BUCKET="openmash-files")

    assert result.returncode == 0, result.stderr
    assert "--attachments" not in result.stdout


def test_with_no_backup_the_script_says_so(tmp_path: Path, backups: dict[str, Path]) -> None:
    result = run_script({**backups, "backups": tmp_path})

    assert result.returncode == 2
    assert "No database dump to drill with" in result.stderr
