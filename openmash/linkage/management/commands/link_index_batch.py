"""Deduplicate the whole person index with Splink and report the clusters (advisory)."""

from typing import Any

import pandas as pd
from django.core.management.base import BaseCommand, CommandError, CommandParser

from openmash.linkage.batch import BACKENDS, SPARK_UNAVAILABLE, dedupe
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
        parser.add_argument("--backend", choices=BACKENDS, default="duckdb")
        parser.add_argument(
            "--threshold",
            type=float,
            default=0.99,
            help="Match probability at or above which two records join a cluster (0.99).",
        )
        parser.add_argument(
            "--limit", type=int, default=None, help="Only the first N index records (by id)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["backend"] == "spark":
            raise CommandError(SPARK_UNAVAILABLE)
        threshold = options["threshold"]
        if not 0 < threshold < 1:
            raise CommandError("--threshold must be between 0 and 1, e.g. 0.99.")
        people = IndexedPerson.objects.order_by("id").values(*_COLUMNS)
        if options["limit"] is not None:
            people = people[: max(0, options["limit"])]
        frame = pd.DataFrame(
            [record_from_row(row) for row in people.iterator(chunk_size=5000)],
            columns=list(COMPARISON_COLUMNS),
        )
        model = current_model_path(models_directory())
        result = dedupe(frame, model, threshold=threshold)
        self.stdout.write(
            "\n".join(
                [
                    f"Model: {model.stem}; threshold {result.threshold}; backend duckdb.",
                    f"Index records: {result.records}",
                    f"Pairs at or above the threshold: {result.pairs}",
                    f"Clusters: {result.clusters}",
                    f"Clusters of more than one record: {result.multi_record_clusters} "
                    f"({result.records_in_multi_record_clusters} records; largest "
                    f"{result.largest_cluster})",
                    f"Took {result.seconds:.1f} s. Advisory only: no links were made.",
                ]
            )
        )
