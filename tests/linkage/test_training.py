"""Training the match model with Splink, and keeping versioned model files."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from openmash.linkage.comparisons import COMPARISONS, match_model_from_splink
from openmash.linkage.matcher import current_model
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
    call_command("train_match_model", source="synthetic", records=3000, max_pairs=200_000, seed=3)
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
