"""The batch deduplication on Splink's Spark backend (issue 4): the same model gives the
same pairs and clusters as on DuckDB.

One local Spark session (two cores, no UI, bound to 127.0.0.1) serves the whole module, so
the JVM starts once.
"""

import dataclasses
import importlib.util
import os
import shutil
import sys
from collections.abc import Iterator
from datetime import date
from io import StringIO
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from openmash.accounts.models import Agency
from openmash.core.roles import AgencyType
from openmash.linkage.batch import (
    BackendUnavailable,
    dedupe,
    spark_linker_for,
    spark_session,
    spark_sql,
)
from openmash.linkage.index import standard_fields
from openmash.linkage.models import IndexedPerson, IndexSource, PersonLink
from openmash.linkage.synthetic import synthetic_records
from openmash.linkage.training import DEFAULT_MODEL, comparison_frame, linker_for

needs_pyspark = pytest.mark.skipif(
    importlib.util.find_spec("pyspark") is None,
    reason="pyspark is not installed (pip install -r requirements-dev.txt)",
)
needs_java = pytest.mark.skipif(
    not os.environ.get("JAVA_HOME") and shutil.which("java") is None,
    reason="Spark needs Java 17 or later: no java on the PATH and no JAVA_HOME",
)
# Under pytest-xdist the whole module goes to one worker, so only one JVM starts.
pytestmark = pytest.mark.xdist_group("spark")


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    # Tuned for a few hundred records on a short-lived JVM: every extra task, adaptive
    # re-plan and compiled stage costs more than it saves (none changes a result).
    tuning = {
        "spark.sql.shuffle.partitions": "1",
        "spark.sql.adaptive.enabled": "false",
        "spark.sql.codegen.wholeStage": "false",
        "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
    }
    with spark_session(config=tuning) as session:
        yield session


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return comparison_frame(synthetic_records(300, seed=5))


def _pairs(linker: Any) -> pd.DataFrame:
    """Every blocked pair with its comparison levels and match weight, in a fixed order."""
    predictions = linker.inference.predict().as_pandas_dataframe()
    gammas = sorted(column for column in predictions.columns if column.startswith("gamma_"))
    pairs = predictions[["unique_id_l", "unique_id_r", "match_weight", *gammas]]
    pairs = pairs.astype({column: "int64" for column in gammas})
    return pairs.sort_values(["unique_id_l", "unique_id_r"]).reset_index(drop=True)


@needs_pyspark
@needs_java
def test_it_puts_every_pair_in_the_same_comparison_levels_as_duckdb(
    spark: Any, frame: pd.DataFrame
) -> None:
    on_duckdb = _pairs(linker_for(frame, DEFAULT_MODEL))
    on_spark = _pairs(spark_linker_for(frame, DEFAULT_MODEL, spark))
    assert len(on_duckdb) > 200
    # Same pairs, same level in every comparison (so every translated SQL condition
    # agrees with DuckDB's on these records), same weights up to rounding.
    pd.testing.assert_frame_equal(
        on_spark.drop(columns="match_weight"), on_duckdb.drop(columns="match_weight")
    )
    assert (on_spark["match_weight"] - on_duckdb["match_weight"]).abs().max() < 1e-9


@needs_pyspark
@needs_java
def test_it_gives_the_same_clusters_as_duckdb(spark: Any, frame: pd.DataFrame) -> None:
    on_duckdb = dedupe(frame, DEFAULT_MODEL, threshold=0.99)
    on_spark = dedupe(frame, DEFAULT_MODEL, threshold=0.99, backend="spark", spark=spark)
    assert on_duckdb.multi_record_clusters > 50
    assert dataclasses.replace(on_spark, seconds=0) == dataclasses.replace(on_duckdb, seconds=0)


def test_it_translates_duckdb_list_functions_to_spark() -> None:
    assert spark_sql('list_has_any("a_l", "a_r")') == "ARRAYS_OVERLAP(`a_l`, `a_r`)"
    assert spark_sql('list_contains("a_l", "b_r")') == "ARRAY_CONTAINS(`a_l`, `b_r`)"


def test_it_says_pyspark_is_needed_when_it_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import fails, find_spec is None
    with pytest.raises(BackendUnavailable, match="pyspark"):
        dedupe(comparison_frame(synthetic_records(10)), DEFAULT_MODEL, backend="spark")
    with pytest.raises(CommandError, match="pyspark is not installed"):
        call_command("link_index_batch", backend="spark")


@needs_pyspark
def test_it_says_java_is_needed_when_it_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", "")
    with pytest.raises(BackendUnavailable, match="Java 17"):
        dedupe(comparison_frame(synthetic_records(10)), DEFAULT_MODEL, backend="spark")


def _index(agency: Agency, source_id: str, given: str, family: str, born: date) -> None:
    IndexedPerson.objects.create(
        source=IndexSource.AGENCY,
        agency=agency,
        source_id=source_id,
        given_names=given,
        family_name=family,
        date_of_birth=born,
        postcode="SW1A 1AA",
        **standard_fields(
            given_names=given, family_name=family, date_of_birth=born, postcode="SW1A 1AA"
        ),
    )


@needs_pyspark
@needs_java
@pytest.mark.django_db
def test_the_command_runs_on_spark_and_links_nothing(
    spark: Any, settings: object, tmp_path: Path
) -> None:
    settings.VAR_DIR = tmp_path  # type: ignore[attr-defined]
    agency = Agency.objects.create(
        name="Batch test agency", slug="batch-test", agency_type=AgencyType.OTHER
    )
    _index(agency, "1", "Jayden", "Okafor", date(2015, 3, 4))
    _index(agency, "2", "Jayden", "Okafor", date(2015, 3, 4))
    _index(agency, "3", "Amara", "Okafor", date(2015, 3, 4))  # a twin: not the same child
    _index(agency, "4", "Lily", "Hughes", date(2012, 7, 9))
    out = StringIO()
    # The command finds the module's session running and uses it (a fresh local session
    # is started the same way, by spark_session, as the fixture's was).
    call_command("link_index_batch", backend="spark", stdout=out)
    text = out.getvalue()
    assert "backend spark." in text
    assert "Index records: 4" in text
    assert "Clusters: 3" in text
    assert "Clusters of more than one record: 1 (2 records" in text
    assert "Advisory only" in text
    assert not PersonLink.objects.exists()
    assert not spark.sparkContext._jsc.sc().isStopped()
