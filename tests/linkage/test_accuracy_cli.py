"""`bench/linkage_accuracy.py --dataset FILE.csv --json OUT.json`: an area's analysts test
the matcher on their own clerically reviewed pairs (issue 11)."""

import json
import subprocess
import sys
from pathlib import Path

from tests.linkage.labelled_csv import COLUMNS, synthetic_rows, write_rows

ROOT = Path(__file__).resolve().parents[2]


def _run(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "bench" / "linkage_accuracy.py"), *arguments],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        check=False,
    )


def test_it_evaluates_a_labelled_csv_and_writes_the_documented_json(tmp_path: Path) -> None:
    rows = synthetic_rows(400, seed=21)
    source, out = tmp_path / "pairs.csv", tmp_path / "out.json"
    write_rows(source, rows)
    result = _run("--dataset", str(source), "--json", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(out.read_text())
    assert set(report) == {"live_matcher", "splink_same_comparisons", "splink_conventional"}
    for method in report.values():
        assert set(method) == {"0.5", "0.9", "0.99", "0.999"}
        for figures in method.values():
            assert set(figures) == {"precision", "recall", "f1", "household_false_links"}
            assert isinstance(figures["household_false_links"], int)
    live = report["live_matcher"]
    assert live["0.5"]["recall"] >= live["0.999"]["recall"]
    assert live["0.5"]["f1"] > 0.8
    assert live["0.999"]["household_false_links"] == 0


def test_it_says_what_is_wrong_with_a_csv_and_writes_nothing(tmp_path: Path) -> None:
    source, out = tmp_path / "bad.csv", tmp_path / "out.json"
    source.write_text("unique_id,person_id,given_names\n1,1,Amy\n", encoding="utf-8")
    result = _run("--dataset", str(source), "--json", str(out))
    assert result.returncode == 2
    assert "missing column(s)" in result.stderr and "family_name" in result.stderr
    rows = [{column: "" for column in COLUMNS} | {"unique_id": "1", "person_id": "1"}]
    rows[0]["date_of_birth"] = "07/03/2015"
    write_rows(source, rows)
    result = _run("--dataset", str(source), "--json", str(out))
    assert result.returncode == 2 and "line 2: date_of_birth must be YYYY-MM-DD" in result.stderr
    assert not out.exists()
