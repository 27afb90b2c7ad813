from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from openmash.governance.restore_drill import (
    COUNTED,
    DRILL_URL_VARIABLE,
    DrillCannotRun,
    restore_drill,
)


class Command(BaseCommand):
    help = (
        "Backup and restore drill: restore a pg_dump (--dump, else one taken now) into a "
        "new scratch database, run verify_audit on the restored copy, count what it holds, "
        "check every attached file it names against the attachments backup (--attachments, "
        "else a copy of the attachments directory taken now), then drop the scratch "
        "database. Exits 1 unless everything passes. The role needs CREATEDB, or set "
        f"{DRILL_URL_VARIABLE} to a server and role that may create databases."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dump", type=Path, default=None, help="A pg_dump --format=custom file."
        )
        parser.add_argument(
            "--attachments",
            type=Path,
            default=None,
            help="The attachments tar from the same night (deploy/bin/openmash-backup.sh).",
        )
        parser.add_argument(
            "--keep", action="store_true", help="Keep the scratch database to look at."
        )

    def handle(
        self, *args: Any, dump: Path | None, attachments: Path | None, keep: bool, **options: Any
    ) -> None:
        try:
            report = restore_drill(
                dump=dump, attachments=attachments, keep=keep, say=self.stdout.write
            )
        except DrillCannotRun as cannot:
            raise CommandError(str(cannot)) from cannot
        self.stdout.write(f"\nRestored {report.dump} into {report.scratch_database}.")
        if report.counts:
            self.stdout.write("The restored copy holds:")
            for table, what in COUNTED:
                self.stdout.write(f"  {report.counts.get(table, 0):>10,}  {what}")
        self.stdout.write(
            "Audit log: "
            + ("matches its seals." if report.audit_passed else "DOES NOT PASS verify_audit.")
        )
        for line in report.audit_output.splitlines():
            self.stdout.write(f"  | {line}")
        if report.files_checked:
            good = report.files_named - len(report.files_missing) - len(report.files_differing)
            self.stdout.write(
                f"Attached files: {good:,} of {report.files_named:,} present and unchanged."
            )
            for label in report.files_missing:
                self.stdout.write(f"  missing: {label}")
            for label in report.files_differing:
                self.stdout.write(f"  not the file that was stored: {label}")
        else:
            self.stdout.write(
                "Attached files: not checked (no attachments backup given with --dump, or the "
                "files are in an S3 bucket: check the bucket's own versioning or replication)."
            )
        for problem in report.problems:
            self.stdout.write(f"Problem: {problem}")
        if report.dropped:
            self.stdout.write(f"Dropped {report.scratch_database}.")
        if not report.passed:
            self.stdout.write("RESTORE DRILL: FAIL")
            raise CommandError("The restore drill failed: see above.")
        self.stdout.write("RESTORE DRILL: PASS")
