"""Training the match model with Splink on DuckDB, without labels, and keeping it.

- The prior (probability two random records match) is fixed, not estimated: about one
  and a half other records of the same person per record, in an index of the size the
  shipped model was made for (MATCH_PRIOR). Estimated from deterministic rules it
  depended on how many records the model was trained on, and one retrained model linked
  ten times more twins at p >= 0.9 than the shipped one (issue 11).
- u by random sampling of a fixed number of pairs with a fixed seed (nearly all random
  pairs are non-matches); a level never met is read as no evidence
  (comparisons._level_weight).
- m by expectation maximisation on pairs blocked by date of birth, then by name.
- Saved with Splink's save-model-to-JSON into a versioned file,
  `<models dir>/model-<UTC timestamp>.json`, and `current.json` points to the latest.
  Without a trained model the matcher uses the default shipped in
  openmash/linkage/match_models/default.json (trained on synthetic data).

Pure: no Django imports (the management command passes the directory).
"""

import json
import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openmash.linkage.comparisons import (
    COMPARISON_COLUMNS,
    comparison_record_for_person,
    splink_settings,
)

DEFAULT_MODEL = Path(__file__).parent / "match_models" / "default.json"
CURRENT = "current.json"
# The prior: other records of the same person per record, among REFERENCE_RECORDS.
EXPECTED_MATCHES_PER_RECORD = 1.5
REFERENCE_RECORDS = 20_000
MATCH_PRIOR = EXPECTED_MATCHES_PER_RECORD / REFERENCE_RECORDS

if TYPE_CHECKING:
    # pandas is imported where a frame is made, not with this module: the live matcher
    # imports this module for the model's path, and every web process would otherwise
    # load pandas (about a third of a second and tens of MB) with its URLs.
    import pandas as pd


def comparison_frame(people: Iterable[Mapping[str, Any]]) -> "pd.DataFrame":
    """Comparison records (one row per record) from people as given; each needs an id
    in `unique_id` or `record_id`."""
    rows = []
    for person in people:
        dob = person.get("date_of_birth")
        if isinstance(dob, str):
            dob = date.fromisoformat(dob) if dob else None
        rows.append(
            comparison_record_for_person(
                unique_id=person.get("unique_id", person.get("record_id")),
                given_names=person.get("given_names") or "",
                family_name=person.get("family_name") or "",
                other_names=person.get("other_names") or "",
                date_of_birth=dob,
                sex=person.get("sex") or "",
                postcode=person.get("postcode") or "",
                nhs_number=person.get("nhs_number") or "",
                upn=person.get("upn") or "",
            )
        )
    import pandas as pd

    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))


def linker_for(frame: "pd.DataFrame", settings: dict[str, Any] | str | Path) -> Any:
    """A Splink linker on DuckDB over comparison records, with a model or settings."""
    from splink import DuckDBAPI, Linker

    db_api = DuckDBAPI()
    table = db_api.register(frame)
    if isinstance(settings, Path):
        settings = str(settings)
    return Linker(table, settings, log_level=logging.WARNING)


def train(frame: "pd.DataFrame", *, max_pairs: int = 2_000_000, seed: int = 1) -> dict[str, Any]:
    """Train the model on comparison records; returns Splink's model dictionary."""
    from splink import block_on

    linker = linker_for(frame, splink_settings(probability_two_random_records_match=MATCH_PRIOR))
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("dob"), estimate_without_term_frequencies=True
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("family_std", "given_std"), estimate_without_term_frequencies=True
    )
    model: dict[str, Any] = linker.misc.save_model_to_json()
    return model


def model_save(
    model: dict[str, Any],
    directory: Path,
    *,
    now: datetime | None = None,
    make_current: bool = True,
) -> Path:
    """Write the model to a new versioned file and (unless told not to) make it the
    current one."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    path = directory / f"model-{stamp}.json"
    path.write_text(json.dumps(model, indent=1), encoding="utf-8")
    if not make_current:
        return path
    pointer = directory / CURRENT
    temporary = pointer.with_suffix(".tmp")
    temporary.write_text(json.dumps({"path": path.name}), encoding="utf-8")
    temporary.replace(pointer)
    return path


def current_model_path(directory: Path | None) -> Path:
    """The latest trained model in `directory`, else the shipped default."""
    if directory is not None:
        pointer = directory / CURRENT
        try:
            name = json.loads(pointer.read_text(encoding="utf-8"))["path"]
        except (OSError, ValueError, KeyError, TypeError):
            return DEFAULT_MODEL
        path = directory / Path(str(name)).name
        if path.is_file():
            return path
    return DEFAULT_MODEL


# --- Retraining must not make things worse: the new model beside the shipped one ----------

REPORT_RECORDS = 6000
REPORT_SEED = 29
REPORT_THRESHOLDS = (0.5, 0.999)
# How much lower F1 may be before a retrained model is held back.
F1_TOLERANCE = 0.01


def _report_blocks(record: dict[str, Any]) -> list[tuple[str, Any]]:
    """Blocking keys for the generator report (the live matcher's, without caps)."""
    keys: list[tuple[str, Any]] = []
    for name in ("nhs", "upn", "dob", "postcode_std"):
        if record[name]:
            keys.append((name, record[name]))
    if record["family_sound"] and record["given_sound"]:
        keys.append(("sound_initial", (record["family_sound"], record["given_sound"][0])))
    if record["family_std"] and record["given_std"]:
        keys.append(("names", (record["family_std"], record["given_std"])))
    return keys


def generator_report(
    models: Mapping[str, dict[str, Any]],
    *,
    records: int = REPORT_RECORDS,
    seed: int = REPORT_SEED,
) -> dict[str, dict[str, float]]:
    """Each model's F1 and household false links (two members of one household linked)
    at the suggestion and automatic-link thresholds, on synthetic households with the hard
    cases (openmash.linkage.synthetic), over the same candidate pairs."""
    from itertools import combinations

    from openmash.linkage.comparisons import (
        match_model_from_splink,
        match_probability,
        score_levels,
    )
    from openmash.linkage.synthetic import synthetic_records

    people = synthetic_records(records, seed=seed)
    frame = comparison_frame(people)
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    blocks: dict[tuple[str, Any], list[int]] = {}
    for number, row in enumerate(rows):
        for key in _report_blocks(row):
            blocks.setdefault(key, []).append(number)
    pairs = {pair for members in blocks.values() for pair in combinations(members, 2)}
    truth = {
        pair
        for pair in combinations(range(len(people)), 2)
        if people[pair[0]]["truth_id"] == people[pair[1]]["truth_id"]
    }
    report: dict[str, dict[str, float]] = {}
    for name, settings in models.items():
        model = match_model_from_splink(settings, version=name)
        scored = [
            (pair, match_probability(score_levels(model, rows[pair[0]], rows[pair[1]])[0]))
            for pair in pairs
        ]
        figures: dict[str, float] = {}
        for threshold in REPORT_THRESHOLDS:
            linked = {pair for pair, probability in scored if probability >= threshold}
            hits = len(linked & truth)
            precision = hits / len(linked) if linked else 0.0
            recall = hits / len(truth) if truth else 0.0
            f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
            household = sum(
                people[a]["household_id"] == people[b]["household_id"]
                and people[a]["truth_id"] != people[b]["truth_id"]
                for a, b in linked
            )
            figures[f"f1@{threshold}"] = round(f1, 4)
            figures[f"household@{threshold}"] = household
        report[name] = figures
    return report


def worse_than(new: Mapping[str, float], old: Mapping[str, float]) -> list[str]:
    """How the new model's report is worse than the old one's (empty: not worse)."""
    reasons = []
    for threshold in REPORT_THRESHOLDS:
        if new[f"household@{threshold}"] > old[f"household@{threshold}"]:
            reasons.append(
                f"more household false links at {threshold} "
                f"({new[f'household@{threshold}']:.0f} against {old[f'household@{threshold}']:.0f})"
            )
        if new[f"f1@{threshold}"] < old[f"f1@{threshold}"] - F1_TOLERANCE:
            reasons.append(
                f"lower F1 at {threshold} "
                f"({new[f'f1@{threshold}']:.3f} against {old[f'f1@{threshold}']:.3f})"
            )
    return reasons
