"""The live matcher's probability agrees with Splink's for the same pair and model."""

import json
import random
from collections import defaultdict
from datetime import date

import pandas as pd
import pytest

from openmash.linkage.comparisons import (
    comparison_record_for_person,
    levenshtein,
    match_model_from_splink,
    score_pair,
)
from openmash.linkage.synthetic import synthetic_records
from openmash.linkage.training import DEFAULT_MODEL, comparison_frame, linker_for


@pytest.fixture(scope="module")
def records() -> list[dict[str, object]]:
    people = synthetic_records(6000, seed=11)
    frame = comparison_frame(people)
    rows = frame.to_dict("records")
    for row, person in zip(rows, people, strict=True):
        row["truth_id"] = person["truth_id"]
        row["household_id"] = person["household_id"]
        for column in ("given_forms", "family_parts"):
            row[column] = list(row[column]) if row[column] is not None else None
    return rows


def _pairs(records: list[dict[str, object]], count: int) -> list[tuple[int, int]]:
    """A mix: a third true matches, a third household members, a third random pairs."""
    rnd = random.Random(5)
    by_truth: dict[object, list[int]] = defaultdict(list)
    by_household: dict[object, list[int]] = defaultdict(list)
    for index, row in enumerate(records):
        by_truth[row["truth_id"]].append(index)
        by_household[row["household_id"]].append(index)
    matches = [group for group in by_truth.values() if len(group) > 1]
    households = [group for group in by_household.values() if len(group) > 1]
    pairs: list[tuple[int, int]] = []
    while len(pairs) < count:
        kind = len(pairs) % 3
        if kind == 0:
            pairs.append(tuple(rnd.sample(rnd.choice(matches), 2)))  # type: ignore[arg-type]
        elif kind == 1:
            pairs.append(tuple(rnd.sample(rnd.choice(households), 2)))  # type: ignore[arg-type]
        else:
            pairs.append((rnd.randrange(len(records)), rnd.randrange(len(records))))
    return pairs


def test_it_agrees_with_splink_score_pairs_within_001_on_1000_pairs(
    records: list[dict[str, object]],
) -> None:
    settings = json.loads(DEFAULT_MODEL.read_text())
    model = match_model_from_splink(settings, version="default")
    pairs = _pairs(records, 1000)
    columns = [c for c in records[0] if c not in ("truth_id", "household_id")]
    left = [
        {**{c: records[a][c] for c in columns}, "unique_id": n} for n, (a, _) in enumerate(pairs)
    ]
    right = [
        {**{c: records[b][c] for c in columns}, "unique_id": n} for n, (_, b) in enumerate(pairs)
    ]
    linker = linker_for(pd.DataFrame(records[:200])[columns], DEFAULT_MODEL)
    scored = linker.inference.score_pairs(left, right).as_pandas_dataframe()
    scored = scored[scored["unique_id_l"] == scored["unique_id_r"]].set_index("unique_id_l")
    assert len(scored) == len(pairs)

    differences = []
    outcomes = {"high": 0, "low": 0}
    for n, (a, b) in enumerate(pairs):
        weight, probability, _ = score_pair(model, left[n], right[n])
        splink_probability = float(scored.loc[n, "match_probability"])
        differences.append(abs(probability - splink_probability))
        assert abs(weight - float(scored.loc[n, "match_weight"])) < 1e-6, (records[a], records[b])
        outcomes["high" if probability > 0.5 else "low"] += 1
    assert max(differences) < 0.01
    # The pairs are a real mix of likely and unlikely matches.
    assert outcomes["high"] > 200 and outcomes["low"] > 200


def test_it_agrees_with_splink_score_pair_one_pair_at_a_time(
    records: list[dict[str, object]],
) -> None:
    settings = json.loads(DEFAULT_MODEL.read_text())
    model = match_model_from_splink(settings, version="default")
    columns = [c for c in records[0] if c not in ("truth_id", "household_id")]
    linker = linker_for(pd.DataFrame(records[:200])[columns], DEFAULT_MODEL)
    for a, b in _pairs(records, 12):
        left = {c: records[a][c] for c in columns} | {"unique_id": 1}
        right = {c: records[b][c] for c in columns} | {"unique_id": 2}
        splink = linker.inference.score_pair(left, right).as_pandas_dataframe().iloc[0]
        _, probability, _ = score_pair(model, left, right)
        assert abs(probability - splink["match_probability"]) < 0.01


def test_its_levenshtein_is_duckdbs() -> None:
    import duckdb

    rnd = random.Random(3)
    letters = "abcde"
    words = ["", "a", *("".join(rnd.choices(letters, k=rnd.randint(1, 9))) for _ in range(600))]
    pairs = [(rnd.choice(words), rnd.choice(words)) for _ in range(3000)]
    frame = pd.DataFrame(pairs, columns=["a", "b"])
    connection = duckdb.connect()
    connection.register("pairs", frame)
    distances = connection.sql("SELECT levenshtein(a, b) FROM pairs").fetchall()
    assert [d for (d,) in distances] == [levenshtein(a, b) for a, b in pairs]


def test_it_agrees_with_splink_on_each_first_name_level() -> None:
    """Crafted pairs for the levels random pairs rarely reach: names transposed (with
    typing errors), a shortened name, and one half of a transposition only."""
    settings = json.loads(DEFAULT_MODEL.read_text())
    model = match_model_from_splink(settings, version="default")
    people = [
        ("Isaac", "Barrett", "Barrett", "Isaac"),
        ("Isaac", "Barrett", "Barett", "Isaak"),
        ("Isaac", "Barrett", "Barrett", "Muhammad"),
        ("Rosalind", "Khan", "Rosal", "Khan"),
        ("Is", "Khan", "Isabelle", "Khan"),
        ("J", "Khan", "Jack", "Khan"),
        ("Isaac", "", "", "Isaac"),
        # Written surname first with a short form or a nickname (issue 11).
        ("Sam", "Ball", "Ball", "Samantha"),
        ("Bill", "Dawson", "Dawson", "William"),
    ]
    born = date(2015, 3, 7)
    left, right = [], []
    for n, (given_l, family_l, given_r, family_r) in enumerate(people):
        for side, given, family in ((left, given_l, family_l), (right, given_r, family_r)):
            record = comparison_record_for_person(
                unique_id=n,
                given_names=given,
                family_name=family,
                other_names="",
                date_of_birth=born,
                sex="M",
                postcode="LS6 2AB",
                nhs_number="",
                upn="",
            )
            for column in ("given_forms", "family_forms", "family_parts", "aliases"):
                record[column] = list(record[column]) if record[column] is not None else None
            side.append(record)
    linker = linker_for(pd.DataFrame(left), DEFAULT_MODEL)
    scored = linker.inference.score_pairs(left, right).as_pandas_dataframe()
    scored = scored[scored["unique_id_l"] == scored["unique_id_r"]].set_index("unique_id_l")
    levels = []
    for n in range(len(people)):
        weight, _, explanation = score_pair(model, left[n], right[n])
        assert abs(weight - float(scored.loc[n, "match_weight"])) < 1e-6, people[n]
        levels.append(explanation[0].comparison.levels[explanation[0].level_index].label)
    assert levels == [
        "Names transposed",
        "Names transposed",
        "All other comparisons",
        "Shortened",
        "Shortened",
        "All other comparisons",
        "Null",
        "Names transposed",
        "Names transposed",
    ]
