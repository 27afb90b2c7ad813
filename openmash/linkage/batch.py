"""Deduplicating the whole person index in one batch with Splink (issue 4): advisory only.

Splink scores every pair its blocking rules find with the current model, and clusters the
pairs at a threshold: on DuckDB by default, or on Spark (Splink's Spark backend) when an
area outgrows one machine. The answer is a report (how many clusters, how many with more
than one record): nothing is linked, so the live matcher and people's decisions stay the
only source of links.

The model is the same on both backends. Its comparison levels are written in DuckDB's SQL
(the live matcher checks them against comparisons.py word for word), so for Spark the
levels and blocking rules are translated in memory, never in the saved file.

Pure: no Django imports (the management command reads the index and passes a frame).
"""

import copy
import importlib.util
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlglot
from sqlglot import exp

from openmash.linkage.comparisons import COMPARISON_COLUMNS
from openmash.linkage.training import linker_for

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

BACKENDS = ("duckdb", "spark")
SPARK_UNAVAILABLE = (
    "The spark backend needs pyspark: pyspark is not installed in this deployment "
    '(pip install "openmash[spark]"). Use --backend duckdb (the default).'
)
JAVA_UNAVAILABLE = (
    "The spark backend needs Java 17 or later: no java on the PATH and no JAVA_HOME. "
    "Use --backend duckdb (the default)."
)
NO_CHECKPOINT_DIRECTORY = (
    "The Spark session has no checkpoint directory: Splink writes its intermediate "
    "tables there. Set one on storage every executor can reach "
    "(spark.sparkContext.setCheckpointDir)."
)
LOCAL_SPARK_MASTER = "local[2]"
# Columns the comparisons read as lists, and as true/false; every other column but the id
# is text.
_LIST_COLUMNS = frozenset({"given_forms", "family_forms", "family_parts", "aliases"})
_BOOLEAN_COLUMNS = frozenset({"given_known"})


class BackendUnavailable(RuntimeError):
    """The batch backend asked for cannot run here."""


@dataclass(frozen=True)
class BatchResult:
    records: int
    # Pairs scored at or above the threshold.
    pairs: int
    clusters: int
    multi_record_clusters: int
    records_in_multi_record_clusters: int
    largest_cluster: int
    threshold: float
    seconds: float


def dedupe(
    frame: pd.DataFrame,
    model: dict[str, Any] | Path,
    *,
    threshold: float = 0.99,
    backend: str = "duckdb",
    spark: "SparkSession | None" = None,
) -> BatchResult:
    """Cluster comparison records (COMPARISON_COLUMNS) at `threshold` with the model.

    With backend "spark", runs on `spark` if given (e.g. a cluster's session, which needs
    a checkpoint directory), else on a local Spark session started and stopped here.
    Raises BackendUnavailable if the backend cannot run (unknown, or no pyspark or Java)."""
    if backend not in BACKENDS:
        raise BackendUnavailable(f"Unknown backend {backend!r}: use one of {', '.join(BACKENDS)}.")
    if backend == "spark" and spark is None:
        spark_available()
    began = time.perf_counter()
    if frame.empty:
        return BatchResult(0, 0, 0, 0, 0, 0, threshold, 0.0)
    if backend == "duckdb":
        return _cluster(linker_for(frame, model), frame, threshold=threshold, began=began)
    if spark is not None:
        linker = spark_linker_for(frame, model, spark)
        return _cluster(linker, frame, threshold=threshold, began=began)
    with spark_session() as session:
        linker = spark_linker_for(frame, model, session)
        return _cluster(linker, frame, threshold=threshold, began=began)


def _cluster(linker: Any, frame: pd.DataFrame, *, threshold: float, began: float) -> BatchResult:
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    pairs = int(
        linker.misc.query_sql(
            f"SELECT count(*) AS n FROM {predictions.physical_name}",  # noqa: S608
            output_type="pandas",
        )["n"][0]
    )
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    )
    sizes = linker.misc.query_sql(
        f"SELECT count(*) AS size FROM {clusters.physical_name} GROUP BY cluster_id",  # noqa: S608
        output_type="pandas",
    )["size"]
    multi = sizes[sizes > 1]
    return BatchResult(
        records=len(frame),
        pairs=pairs,
        clusters=len(sizes),
        multi_record_clusters=len(multi),
        records_in_multi_record_clusters=int(multi.sum()),
        largest_cluster=int(sizes.max()) if len(sizes) else 0,
        threshold=threshold,
        seconds=time.perf_counter() - began,
    )


def spark_available() -> None:
    """Raises BackendUnavailable unless pyspark is installed and Java can be found."""
    if importlib.util.find_spec("pyspark") is None:
        raise BackendUnavailable(SPARK_UNAVAILABLE)
    if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        raise BackendUnavailable(JAVA_UNAVAILABLE)


@contextmanager
def spark_session(
    *,
    master: str = LOCAL_SPARK_MASTER,
    checkpoint_directory: str | None = None,
    config: Mapping[str, str] | None = None,
) -> Iterator["SparkSession"]:
    """A Spark session for batch linkage, stopped on leaving.

    Local by default: two cores, few shuffle partitions, no web UI, bound to 127.0.0.1,
    with its checkpoints (Splink's intermediate tables) in a temporary directory removed
    afterwards.
    For a cluster, give its master URL and a checkpoint directory every executor can
    reach. `config` adds or overrides Spark settings. If a session is already running in
    this process it is used as it is, and left running."""
    spark_available()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        yield active
        return
    local = master.startswith("local")
    if not local and checkpoint_directory is None:
        raise BackendUnavailable(NO_CHECKPOINT_DIRECTORY)
    with tempfile.TemporaryDirectory(prefix="openmash-spark-") as scratch:
        builder = (
            SparkSession.builder.master(master)
            .appName("openmash-batch-linkage")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
        )
        if local:
            # Spark reads SPARK_LOCAL_IP when the JVM starts: without it, it looks for
            # a network interface even though the driver is bound to 127.0.0.1.
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            builder = (
                builder.config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                # Spark's default of 200 shuffle partitions suits a cluster, not two cores.
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.default.parallelism", "4")
                .config("spark.sql.warehouse.dir", str(Path(scratch) / "warehouse"))
            )
        for key, value in (config or {}).items():
            builder = builder.config(key, value)
        session = builder.getOrCreate()
        try:
            session.sparkContext.setLogLevel("ERROR")
            session.sparkContext.setCheckpointDir(
                checkpoint_directory or str(Path(scratch) / "checkpoints")
            )
            yield session
        finally:
            session.stop()


def spark_linker_for(
    frame: pd.DataFrame, model: dict[str, Any] | Path, spark: "SparkSession"
) -> Any:
    """A Splink linker on Spark over comparison records, with the model's levels and
    blocking rules translated from DuckDB's SQL to Spark's."""
    from splink import Linker
    from splink.backends.spark import SparkAPI

    if spark.sparkContext.getCheckpointDir() is None:
        raise BackendUnavailable(NO_CHECKPOINT_DIRECTORY)
    # The comparisons use only Spark's built-in functions (levenshtein, arrays_overlap,
    # array_contains, datediff), not the similarity functions in Splink's jar.
    db_api = SparkAPI(spark_session=spark, register_udfs_automatically=False)
    table = db_api.register(_spark_frame(frame, spark))
    return Linker(table, spark_settings(model), log_level=logging.WARNING)


def spark_settings(model: dict[str, Any] | Path) -> dict[str, Any]:
    """The model's settings with every SQL condition and blocking rule in Spark's SQL."""
    if isinstance(model, Path):
        settings: dict[str, Any] = json.loads(model.read_text(encoding="utf-8"))
    else:
        settings = copy.deepcopy(model)
    settings.pop("sql_dialect", None)
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            level.pop("sql_dialect", None)
            if level["sql_condition"].strip().upper() != "ELSE":
                level["sql_condition"] = spark_sql(level["sql_condition"])
    rules: list[str | dict[str, Any]] = []
    for rule in settings.get("blocking_rules_to_generate_predictions", []):
        if isinstance(rule, str):
            rules.append(spark_sql(rule))
        else:
            rule = {key: value for key, value in rule.items() if key != "sql_dialect"}
            rule["blocking_rule"] = spark_sql(rule["blocking_rule"])
            rules.append(rule)
    settings["blocking_rules_to_generate_predictions"] = rules
    return settings


def spark_sql(duckdb_sql: str) -> str:
    """A DuckDB SQL condition in Spark's SQL (sqlglot, with one fix: sqlglot writes
    DuckDB's list_has_any as `a && b`, which Spark does not parse)."""

    def arrays_overlap(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.ArrayOverlaps):
            return exp.Anonymous(this="arrays_overlap", expressions=[node.this, node.expression])
        return node

    tree = sqlglot.parse_one(duckdb_sql, read="duckdb").transform(arrays_overlap)
    return tree.sql(dialect="spark")


def _spark_frame(frame: pd.DataFrame, spark: "SparkSession") -> Any:
    """The comparison records as a Spark DataFrame with an explicit schema (inferring it
    fails on a column that is empty in every record, e.g. UPN in a small area)."""
    from pyspark.sql.types import (
        ArrayType,
        BooleanType,
        DataType,
        LongType,
        StringType,
        StructField,
        StructType,
    )

    def column_type(column: str) -> DataType:
        if column == "unique_id":
            integer = pd.api.types.is_integer_dtype(frame[column])
            return LongType() if integer else StringType()
        if column in _BOOLEAN_COLUMNS:
            return BooleanType()
        return ArrayType(StringType()) if column in _LIST_COLUMNS else StringType()

    columns = list(COMPARISON_COLUMNS)
    schema = StructType([StructField(column, column_type(column)) for column in columns])
    rows = [
        tuple(_spark_value(value) for value in row)
        for row in frame[columns].itertuples(index=False, name=None)
    ]
    return spark.createDataFrame(rows, schema=schema)


def _spark_value(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value]
    if value is None or (isinstance(value, float) and value != value):  # NaN is empty
        return None
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value
