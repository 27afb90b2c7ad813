"""Training the match model with Splink, and keeping versioned model files."""

import json
import math
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from openmash.linkage.comparisons import COMPARISONS, match_model_from_splink
from openmash.linkage.index import standard_fields
from openmash.linkage.matcher import current_model
from openmash.linkage.models import IndexedPerson, IndexSource
from openmash.linkage.training import (
    CURRENT,
    DEFAULT_MODEL,
    current_model_path,
    model_save,
)


def test_the_shipped_default_model_is_small_and_fits_these_comparisons() -> None:
    assert DEFAULT_MODEL.stat().st_size < 50_000
    model = match_model_from_splink(json.loads(DEFAULT_MODEL.read_text()), version="default")
    assert set(model.weights) == {c.name for c in COMPARISONS}
    given = model.weights["given_name"]
    # A different first name outweighs the same surname, address and date of birth.
    assert given[-1] < -12
    assert model.weights["nhs_number"][1] > 10


def test_it_falls_back_to_the_default_model(tmp_path: Path) -> None:
    assert current_model_path(tmp_path) == DEFAULT_MODEL
    (tmp_path / CURRENT).write_text("not json")
    assert current_model_path(tmp_path) == DEFAULT_MODEL
    (tmp_path / CURRENT).write_text(json.dumps({"path": "model-gone.json"}))
    assert current_model_path(tmp_path) == DEFAULT_MODEL


def test_it_keeps_every_version_and_points_to_the_latest(tmp_path: Path) -> None:
    model = json.loads(DEFAULT_MODEL.read_text())
    first = model_save(model, tmp_path, now=datetime(2026, 1, 1, tzinfo=UTC))
    second = model_save(model, tmp_path, now=datetime(2026, 2, 1, tzinfo=UTC))
    assert first.name == "model-20260101T000000000000Z.json"
    assert first.exists() and second.exists()
    assert current_model_path(tmp_path) == second


@pytest.mark.django_db
def test_the_command_trains_on_synthetic_data_and_the_matcher_uses_it(
    settings: object, tmp_path: Path
) -> None:
    settings.VAR_DIR = tmp_path  # type: ignore[attr-defined]
    call_command(
        "train_match_model",
        source="synthetic",
        records=3000,
        max_pairs=200_000,
        seed=3,
        accept_worse=True,
        stdout=StringIO(),
    )
    models = sorted((tmp_path / "match-models").glob("model-*.json"))
    assert len(models) == 1
    model = current_model()
    assert model.version == models[0].stem
    assert 0 < model.probability_two_random_records_match < 0.01
    assert model.weights["date_of_birth"][1] > 5  # the same date of birth is evidence


@pytest.mark.django_db
def test_the_command_refuses_an_index_too_small_to_train_on(
    settings: object, tmp_path: Path
) -> None:
    settings.VAR_DIR = tmp_path  # type: ignore[attr-defined]
    with pytest.raises(CommandError, match="at least 100"):
        call_command("train_match_model", source="index")
    assert current_model().version == "default"


def _shipped_upn() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The shipped model, and its UPN comparison's levels to change."""
    model = json.loads(DEFAULT_MODEL.read_text())
    upn = next(c for c in model["comparisons"] if c["output_column_name"] == "upn")
    return model, upn["comparison_levels"]


def test_a_disagreement_never_counts_for_a_match_even_if_training_never_saw_it() -> None:
    # A retrained model that met no two different UPNs among its random pairs (u unknown).
    unseen, levels = _shipped_upn()
    levels[-1]["m_probability"] = 0.01
    levels[-1].pop("u_probability")
    # One whose estimates came out the wrong way round.
    backwards, levels = _shipped_upn()
    levels[-1].update(m_probability=0.5, u_probability=0.01)

    for settings in (unseen, backwards):
        weights = match_model_from_splink(settings, version="retrained").weights
        assert weights["upn"][-1] <= 0


def test_a_level_training_never_saw_is_no_evidence_either_way() -> None:
    # An exact-UPN level with no u estimate would otherwise weigh log2(m / 1e-6), about +20.
    settings, levels = _shipped_upn()
    exact = next(i for i, level in enumerate(levels) if not level.get("is_null_level"))
    levels[exact]["u_probability"] = None

    weights = match_model_from_splink(settings, version="retrained").weights

    assert weights["upn"][exact] == 0


def test_the_shipped_model_reads_the_same_as_before() -> None:
    """The conservative reading changes nothing for a model whose levels were all seen."""
    settings = json.loads(DEFAULT_MODEL.read_text())
    weights = match_model_from_splink(settings, version="default").weights
    for spec in settings["comparisons"]:
        for index, level in enumerate(spec["comparison_levels"]):
            if level.get("is_null_level"):
                continue
            expected = math.log2(level["m_probability"] / level["u_probability"])
            assert weights[spec["output_column_name"]][index] == pytest.approx(expected)


@pytest.mark.django_db
def test_the_command_leaves_withdrawn_index_records_out(settings: object, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path  # type: ignore[attr-defined]
    for number in range(105):
        fields = {"given_names": f"Child{number}", "family_name": "Smith", "postcode": "LS6 2AB"}
        IndexedPerson.objects.create(
            source=IndexSource.AGENCY,
            withdrawn_at=timezone.now() if number < 10 else None,
            **fields,
            **standard_fields(**fields),  # type: ignore[arg-type]
        )

    # 95 records are still held: too few, so nothing is trained on the withdrawn ten.
    with pytest.raises(CommandError, match="Only 95 records"):
        call_command("train_match_model", source="index")


def _worse_model() -> dict[str, Any]:
    """The shipped model without its household evidence and with a different first name
    barely held against a match: it links twins."""
    model = json.loads(DEFAULT_MODEL.read_text())
    for comparison in model["comparisons"]:
        levels = comparison["comparison_levels"]
        if comparison["output_column_name"] == "household":
            for level in levels:
                if not level.get("is_null_level"):
                    level["m_probability"] = level["u_probability"] = 0.5
        if comparison["output_column_name"] == "given_name":
            levels[-1]["m_probability"] = levels[-1]["u_probability"] / 4
    return model


@pytest.mark.django_db
def test_the_command_reports_the_new_model_beside_the_shipped_one_and_holds_back_a_worse_one(
    settings: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openmash.linkage.management.commands import train_match_model

    settings.VAR_DIR = tmp_path  # type: ignore[attr-defined]
    monkeypatch.setattr(train_match_model, "train", lambda frame, **options: _worse_model())
    out = StringIO()
    call_command("train_match_model", source="synthetic", records=500, stdout=out)
    text = out.getvalue()
    assert "shipped" in text and "new" in text
    assert "household false links at 0.5" in text
    assert "Not made the current model" in text and "more household false links" in text
    # Kept on file, not used.
    assert len(list((tmp_path / "match-models").glob("model-*.json"))) == 1
    assert current_model().version == "default"
    # Unless the operator says so, with the warning.
    out = StringIO()
    call_command(
        "train_match_model", source="synthetic", records=500, accept_worse=True, stdout=out
    )
    assert "Warning: it does worse" in out.getvalue()
    assert current_model().version != "default"


def test_the_report_finds_the_worse_model_worse_and_the_shipped_one_not() -> None:
    from openmash.linkage.training import generator_report, worse_than

    shipped = json.loads(DEFAULT_MODEL.read_text())
    report = generator_report({"shipped": shipped, "worse": _worse_model()}, records=2000)
    assert worse_than(report["shipped"], report["shipped"]) == []
    assert report["worse"]["household@0.5"] > report["shipped"]["household@0.5"]
    assert worse_than(report["worse"], report["shipped"])
    assert report["shipped"]["household@0.999"] == 0


def test_the_prior_does_not_depend_on_how_many_records_training_sees() -> None:
    from openmash.linkage.synthetic import synthetic_records
    from openmash.linkage.training import MATCH_PRIOR, comparison_frame, train

    small = train(comparison_frame(synthetic_records(800, seed=2)), max_pairs=100_000)
    large = train(comparison_frame(synthetic_records(3000, seed=2)), max_pairs=100_000)
    assert (
        small["probability_two_random_records_match"]
        == large["probability_two_random_records_match"]
        == MATCH_PRIOR
    )
