"""The nightly backup (deploy/bin/openmash-backup.sh, run by
deploy/systemd/openmash-backup.service) keeps the attachments as well as the database:
with files on local disk, a restore of the dump alone would name attachments that no
longer exist. Run for real with a stand-in pg_dump (no database needed)."""

import os
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "deploy" / "bin" / "openmash-backup.sh"
UNIT = ROOT / "deploy" / "systemd" / "openmash-backup.service"
DAY = 24 * 60 * 60


@pytest.fixture
def place(tmp_path: Path) -> dict[str, Path]:
    backups = tmp_path / "backups"
    backups.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # Writes what it was asked for where pg_dump would, so the script's renaming is real.
    pg_dump = bin_dir / "pg_dump"
    pg_dump.write_text(
        '#!/bin/sh\nfor a in "$@"; do case "$a" in --file=*) out="${a#--file=}";; esac; done\n'
        'echo "dump of $3" > "$out"\n'
    )
    pg_dump.chmod(0o755)
    var = tmp_path / "var"
    (var / "attachments" / "2026" / "12").mkdir(parents=True)
    (var / "attachments" / "2026" / "12" / "strategy-minutes.pdf").write_bytes(b"%PDF-1.7 minutes")
    return {"backups": backups, "bin": bin_dir, "var": var}


def run(place: dict[str, Path], what: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": f"{place['bin']}:{os.environ['PATH']}",
        "OPENMASH_BACKUP_DIR": str(place["backups"]),
        "OPENMASH_VAR_DIR": str(place["var"]),
        **env,
    }
    return subprocess.run(
        ["/bin/sh", str(SCRIPT), what], env=environment, capture_output=True, text=True
    )


def aged(path: Path, days: int) -> Path:
    path.write_text("old")
    then = time.time() - days * DAY
    os.utime(path, (then, then))
    return path


def test_the_service_backs_up_the_database_then_the_attachments() -> None:
    lines = UNIT.read_text().splitlines()
    starts = [line for line in lines if line.startswith("ExecStart=")]
    assert starts == [
        "ExecStart=/opt/openmash/deploy/bin/openmash-backup.sh database",
        "ExecStart=+/opt/openmash/deploy/bin/openmash-backup.sh attachments",
    ]
    assert "EnvironmentFile=/etc/openmash/openmash.env" in lines
    assert os.access(SCRIPT, os.X_OK)


def test_the_database_is_dumped_and_old_dumps_go(place: dict[str, Path]) -> None:
    old = aged(place["backups"] / "openmash-20261101T021500Z.dump", 20)
    recent = aged(place["backups"] / "openmash-20261125T021500Z.dump", 10)

    result = run(place, "database", OPENMASH_BACKUP_DATABASE="openmash")

    assert result.returncode == 0, result.stderr
    dumps = sorted(place["backups"].glob("openmash-*.dump"))
    assert not old.exists()
    assert recent in dumps
    (new,) = [dump for dump in dumps if dump != recent]
    assert new.read_text() == "dump of openmash\n"
    assert not list(place["backups"].glob("*.part"))


def test_the_attachments_are_kept_beside_the_dump_with_the_same_retention(
    place: dict[str, Path],
) -> None:
    old = aged(place["backups"] / "openmash-attachments-20261101T021500Z.tar.gz", 20)
    recent = aged(place["backups"] / "openmash-attachments-20261125T021500Z.tar.gz", 10)
    dump = aged(place["backups"] / "openmash-20261101T021500Z.dump", 20)

    result = run(place, "attachments")

    assert result.returncode == 0, result.stderr
    assert not old.exists()
    assert recent.exists()
    assert dump.exists()  # each kind keeps its own: the database step deletes dumps
    (new,) = set(place["backups"].glob("openmash-attachments-*.tar.gz")) - {recent}
    with tarfile.open(new) as archive:
        member = archive.extractfile("./2026/12/strategy-minutes.pdf")
        assert member is not None
        assert member.read() == b"%PDF-1.7 minutes"


def test_the_attachments_directory_can_be_moved(place: dict[str, Path], tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    (moved / "note.txt").write_text("moved")

    result = run(place, "attachments", OPENMASH_ATTACHMENTS_DIR=str(moved))

    assert result.returncode == 0, result.stderr
    (new,) = place["backups"].glob("openmash-attachments-*.tar.gz")
    with tarfile.open(new) as archive:
        assert "./note.txt" in archive.getnames()
        assert "./2026/12/strategy-minutes.pdf" not in archive.getnames()


def test_a_missing_attachments_directory_fails_the_backup_loudly(
    place: dict[str, Path], tmp_path: Path
) -> None:
    result = run(place, "attachments", OPENMASH_ATTACHMENTS_DIR=str(tmp_path / "nowhere"))

    assert result.returncode == 1
    assert "No attachments directory" in result.stderr
    assert not list(place["backups"].iterdir())


def test_attachments_in_a_bucket_are_left_to_the_providers_backup(
    place: dict[str, Path],
) -> None:
    result = run(place, "attachments", ATTACHMENTS_S3_BUCKET="openmash-attachments")

    assert result.returncode == 0
    assert "S3 bucket" in result.stderr
    assert not list(place["backups"].iterdir())
