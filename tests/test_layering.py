"""The layering of docs/adr/0011-layering.md holds, and its contracts catch a breach.

`make lint` runs the same contracts; these tests keep them in the test suite too, and show
on a scratch copy of the code that an upward import fails them (so the check is not
vacuous).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=cwd,
        # Wide enough that no module path in a message is wrapped.
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def scratch_copy(tmp_path: Path) -> Path:
    """The Python code and the contracts, copied where a test may break them."""
    shutil.copytree(
        ROOT / "openmash",
        tmp_path / "openmash",
        ignore=shutil.ignore_patterns("__pycache__", "static", "templates"),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def add_line(module: Path, line: str) -> None:
    module.write_text(module.read_text() + f"\n{line}\n")


def test_it_keeps_every_layering_contract() -> None:
    result = lint_imports(ROOT)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_it_fails_when_the_capacity_engine_imports_django(scratch_copy: Path) -> None:
    add_line(scratch_copy / "openmash/capacity/engine.py", "import django")

    result = lint_imports(scratch_copy)

    assert result.returncode == 1
    assert "openmash.capacity is not allowed to import django" in result.stdout


def test_it_fails_when_core_imports_a_domain_app(scratch_copy: Path) -> None:
    add_line(scratch_copy / "openmash/core/forms.py", "import openmash.accounts.models")

    result = lint_imports(scratch_copy)

    assert result.returncode == 1
    assert "openmash.core is not allowed to import openmash.accounts" in result.stdout


def test_it_fails_when_contacts_reads_enquiries(scratch_copy: Path) -> None:
    add_line(scratch_copy / "openmash/contacts/selectors.py", "import openmash.enquiries.models")

    result = lint_imports(scratch_copy)

    assert result.returncode == 1
    assert "openmash.contacts is not allowed to import openmash.enquiries" in result.stdout


def test_it_fails_when_an_engine_imports_a_page(scratch_copy: Path) -> None:
    add_line(scratch_copy / "openmash/linkage/comparisons.py", "import openmash.linkage.views")

    result = lint_imports(scratch_copy)

    assert result.returncode == 1
    assert "openmash.linkage.comparisons is not allowed to import" in result.stdout


def test_it_fails_when_enquiries_imports_the_event_outbox(scratch_copy: Path) -> None:
    # The enquiry services publish through openmash.core.outbox; the outbox, which reads
    # their models to build payloads, sits above them (docs/adr/0014-event-outbox.md).
    add_line(
        scratch_copy / "openmash/enquiries/services/hand_ons.py", "import openmash.events.models"
    )

    result = lint_imports(scratch_copy)

    assert result.returncode == 1
    assert "openmash.enquiries is not allowed to import openmash.events" in result.stdout
