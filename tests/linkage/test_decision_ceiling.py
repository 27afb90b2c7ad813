"""The accuracy benchmark's ceiling (bench/linkage_accuracy.py, decision_ceiling): the
best F1 any scorer of the matcher's comparisons could reach on its candidates, each
comparison vector linked or not as the truth favours."""

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from tests.linkage.labelled_csv import synthetic_rows, write_rows

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def accuracy() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "linkage_accuracy", ROOT / "bench" / "linkage_accuracy.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _dataset(accuracy: ModuleType, path: Path, rows: list[dict[str, object]]) -> dict[str, object]:
    write_rows(path, rows)  # a column a row leaves out is written empty
    dataset: dict[str, object] = accuracy.dataset_from_csv(path)
    return dataset


def _person(
    unique_id: str, person_id: str, given: str, family: str, born: str, postcode: str
) -> dict[str, object]:
    return {
        "unique_id": unique_id,
        "person_id": person_id,
        "given_names": given,
        "family_name": family,
        "date_of_birth": born,
        "sex": "F",
        "postcode": postcode,
    }


def test_a_pair_the_candidate_search_never_meets_counts_as_missed(
    accuracy: ModuleType, tmp_path: Path
) -> None:
    data = _dataset(
        accuracy,
        tmp_path / "people.csv",
        [
            _person("a1", "ellie", "Ellie", "Harper", "2015-03-01", "SW1A 1AA"),
            _person("a2", "ellie", "Ellie", "Harper", "2015-03-01", "SW1A 1AA"),
            # One person written twice with nothing in common: no key meets them.
            _person("c1", "zara", "Zara", "Quinn", "2009-11-30", "M1 1AE"),
            _person("c2", "zara", "Olivia", "Smith", "2001-01-04", "B33 8TH"),
        ],
    )

    ceiling = accuracy.decision_ceiling(data, accuracy.true_pairs(data))

    assert ceiling["precision"] == 1.0
    assert ceiling["recall"] == 0.5
    assert ceiling["f1"] == pytest.approx(2 / 3)


def test_no_threshold_of_the_live_matcher_beats_it(accuracy: ModuleType, tmp_path: Path) -> None:
    rows = synthetic_rows(400, seed=21)
    data = _dataset(accuracy, tmp_path / "people.csv", rows)
    truth = accuracy.true_pairs(data)
    scored, _ = accuracy.live_matcher(data, accuracy.shipped_model())

    ceiling = accuracy.decision_ceiling(data, truth)

    assert 0 < ceiling["f1"] <= 1
    for threshold in (0.1, *accuracy.THRESHOLDS):
        chosen = [(a, b) for a, b, p in scored if p >= threshold]
        assert accuracy.quality(chosen, truth)["f1"] <= ceiling["f1"] + 1e-12
