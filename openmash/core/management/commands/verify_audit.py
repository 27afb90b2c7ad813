import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from openmash.core.audit_seals import audit_verify
from openmash.core.time_text import plural

SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class Command(BaseCommand):
    help = (
        "Check every audit event against its seal and every seal against the one before "
        "(ADR 0009). Exits 1 if anything was changed, deleted or inserted after sealing, "
        "or if --expect's hash is not in the chain. Prints the latest seal's hash: record "
        "it somewhere outside OpenMASH."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--expect",
            default="",
            metavar="HASH",
            help="A seal hash recorded outside OpenMASH earlier, which must still be in the chain.",
        )

    def handle(self, *args: Any, expect: str, **options: Any) -> None:
        expect = expect.strip().lower()
        if expect and not SHA256_HEX.fullmatch(expect):
            raise CommandError("--expect takes a seal hash: 64 characters, 0-9 and a-f.")
        check = audit_verify(expected_hash=expect)
        if check.seals_checked == 0:
            self.stdout.write("Nothing is sealed yet: run `manage.py seal_audit`.")
        else:
            self.stdout.write(
                f"Checked {plural(check.seals_checked, 'seal')} covering "
                f"{check.events_checked:,} audit events (ids up to {check.last_sealed_event_id})."
            )
        if check.seals_pruned:
            self.stdout.write(
                f"{plural(check.seals_pruned, 'seal')} had {check.events_pruned:,} audit events "
                "removed at the end of their retention period: their seals are still checked "
                "in the chain."
            )
        for problem in check.problems:
            self.stderr.write(str(problem))
        if check.expected_hash_found is True:
            self.stdout.write(f"The hash {expect} is in the chain.")
        elif check.expected_hash_found is False:
            self.stderr.write(f"The hash {expect} is not in the chain.")
        if check.latest_seal_hash:
            self.stdout.write(
                f"Latest seal hash: {check.latest_seal_hash}\n"
                "Record it somewhere outside OpenMASH, to check with --expect later."
            )
        if check.problems:
            raise CommandError("The audit log does not match its seals.")
        if check.expected_hash_found is False:
            raise CommandError("The recorded hash is not in the chain: the seals were replaced.")
        if check.seals_checked:
            self.stdout.write("The audit log matches its seals.")
