"""Deduplicating the whole person index in one batch with Splink (issue 4): advisory only.

Splink on DuckDB scores every pair its blocking rules find with the current model, and
clusters the pairs at a threshold. The answer is a report (how many clusters, how many
with more than one record): nothing is linked, so the live matcher and people's
decisions stay the only source of links.

Pure: no Django imports (the management command reads the index and passes a frame).
"""

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from openmash.linkage.training import linker_for

BACKENDS = ("duckdb", "spark")
SPARK_UNAVAILABLE = (
    "The spark backend needs pyspark: pyspark is not installed in this deployment. "
    "Use --backend duckdb (the default)."
)


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
) -> BatchResult:
    """Cluster comparison records (COMPARISON_COLUMNS) at `threshold` with the model."""
    if backend != "duckdb":
        raise BackendUnavailable(SPARK_UNAVAILABLE if backend == "spark" else backend)
    began = time.perf_counter()
    if frame.empty:
        return BatchResult(0, 0, 0, 0, 0, 0, threshold, 0.0)
    linker = linker_for(frame, model)
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
