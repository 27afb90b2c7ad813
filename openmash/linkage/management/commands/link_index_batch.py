"""Deduplicate the whole person index with Splink and report the clusters (advisory)."""

from typing import Any

import pandas as pd
from django.core.management.base import BaseCommand, CommandError, CommandParser

from openmash.linkage.batch import (
    BACKENDS,
    LOCAL_SPARK_MASTER,
    BackendUnavailable,
    BatchResult,
    dedupe,
    spark_available,
    spark_session,
)
from openmash.linkage.comparisons import COMPARISON_COLUMNS
from openmash.linkage.matcher import _COLUMNS, models_directory, record_from_row
from openmash.linkage.models import IndexedPerson
from openmash.linkage.training import current_model_path


class Command(BaseCommand):
    help = (
        "Deduplicate the whole person index in one batch with Splink, using the current "
        "match model, and print how many clusters it finds at the threshold. Advisory "
        "only: nothing is linked or changed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--backend",
            choices=BACKENDS,
            default="duckdb",
            help="Splink on DuckDB (the default, one machine) or on Spark (needs pyspark).",
        )
        parser.add_argument(
            "--threshold",
            type=float,
            default=0.99,
            help="Match probability at or above which two records join a cluster (0.99).",
        )
        parser.add_argument(
            "--limit", type=int, default=None, help="Only the first N index records (by id)."
        )
        parser.add_argument(
            "--spark-master",
            default=LOCAL_SPARK_MASTER,
            help=f"With --backend spark: the Spark master URL ({LOCAL_SPARK_MASTER}, a local "
            "session on two cores).",
        )
        parser.add_argument(
            "--spark-checkpoint-dir",
            default=None,
            help="With --backend spark: where Splink writes intermediate tables; needed for "
            "a cluster (storage every executor can reach), a temporary directory locally.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        threshold = options["threshold"]
        if not 0 < threshold < 1:
            raise CommandError("--threshold must be between 0 and 1, e.g. 0.99.")
        backend = options["backend"]
        try:
            if backend == "spark":
                spark_available()  # before reading the whole index
            frame = self._index_frame(limit=options["limit"])
            model = current_model_path(models_directory())
            if backend == "spark" and not frame.empty:
                with spark_session(
                    master=options["spark_master"],
                    checkpoint_directory=options["spark_checkpoint_dir"],
                ) as spark:
                    result = dedupe(frame, model, threshold=threshold, backend=backend, spark=spark)
            else:
                result = dedupe(frame, model, threshold=threshold, backend=backend)
        except BackendUnavailable as unavailable:
            raise CommandError(str(unavailable)) from unavailable
        self.stdout.write(self._report(result, model_name=model.stem, backend=backend))

    def _index_frame(self, *, limit: int | None) -> pd.DataFrame:
        # Records withdrawn from an agency's feed are kept only for links already
        # confirmed: not part of the index to deduplicate.
        people = (
            IndexedPerson.objects.filter(withdrawn_at__isnull=True).order_by("id").values(*_COLUMNS)
        )
        if limit is not None:
            people = people[: max(0, limit)]
        return pd.DataFrame(
            [record_from_row(row) for row in people.iterator(chunk_size=5000)],
            columns=list(COMPARISON_COLUMNS),
        )

    def _report(self, result: BatchResult, *, model_name: str, backend: str) -> str:
        return "\n".join(
            [
                f"Model: {model_name}; threshold {result.threshold}; backend {backend}.",
                f"Index records: {result.records}",
                f"Pairs at or above the threshold: {result.pairs}",
                f"Clusters: {result.clusters}",
                f"Clusters of more than one record: {result.multi_record_clusters} "
                f"({result.records_in_multi_record_clusters} records; largest "
                f"{result.largest_cluster})",
                f"Took {result.seconds:.1f} s. Advisory only: no links were made.",
            ]
        )
