"""Retrain the match model with Splink (no labels needed) and make it the current one,
unless it does worse than the shipped model on synthetic households with the hard cases
(more links between two members of one household, or a lower F1): both are reported side
by side first, and a worse model is kept on file but not used without --accept-worse."""

import json
from typing import Any

import pandas as pd
from django.core.management.base import BaseCommand, CommandError, CommandParser

from openmash.linkage.comparisons import COMPARISON_COLUMNS
from openmash.linkage.matcher import _COLUMNS, models_directory, record_from_row
from openmash.linkage.models import IndexedPerson
from openmash.linkage.synthetic import synthetic_records
from openmash.linkage.training import (
    DEFAULT_MODEL,
    comparison_frame,
    generator_report,
    model_save,
    train,
    worse_than,
)


class Command(BaseCommand):
    help = (
        "Train the person-matching model on the person index (or on synthetic households) "
        "with Splink on DuckDB, save it as a new versioned model file and make it current."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--source", choices=("index", "synthetic"), default="index")
        parser.add_argument(
            "--max-pairs",
            type=int,
            default=5_000_000,
            help="Random pairs sampled to estimate u (default 5,000,000).",
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--accept-worse",
            action="store_true",
            help="Use the new model even if it does worse than the shipped one.",
        )
        parser.add_argument(
            "--records",
            type=int,
            default=20_000,
            help="How many synthetic records to train on (--source synthetic).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["source"] == "synthetic":
            frame = comparison_frame(synthetic_records(options["records"], seed=options["seed"]))
        else:
            # A withdrawn record is no longer held by its agency: it must not shape the model.
            rows = (
                IndexedPerson.objects.filter(withdrawn_at__isnull=True)
                .values(*_COLUMNS)
                .iterator(chunk_size=5000)
            )
            frame = pd.DataFrame(
                [record_from_row(row) for row in rows], columns=list(COMPARISON_COLUMNS)
            )
        if len(frame) < 100:
            raise CommandError(
                f"Only {len(frame)} records to train on: at least 100 are needed. "
                "The matcher keeps using the current model."
            )
        model = train(frame, max_pairs=options["max_pairs"], seed=options["seed"])
        shipped = json.loads(DEFAULT_MODEL.read_text(encoding="utf-8"))
        report = generator_report({"shipped": shipped, "new": model})
        self.stdout.write(
            "On synthetic households with the hard cases (the same pairs for both):\n"
            f"{'':32}{'shipped':>10}{'new':>10}"
        )
        for measure, words in (
            ("f1@0.5", "F1 at 0.5 (suggestion)"),
            ("f1@0.999", "F1 at 0.999 (automatic link)"),
            ("household@0.5", "household false links at 0.5"),
            ("household@0.999", "household false links at 0.999"),
        ):
            self.stdout.write(
                f"{words:32}{report['shipped'][measure]:>10g}{report['new'][measure]:>10g}"
            )
        reasons = worse_than(report["new"], report["shipped"])
        use = not reasons or options["accept_worse"]
        path = model_save(model, models_directory(), make_current=use)
        prior = model["probability_two_random_records_match"]
        self.stdout.write(
            f"Trained on {len(frame):,} records (probability two random records match "
            f"{prior:.3g}, fixed); saved {path}."
        )
        if reasons and not use:
            self.stdout.write(
                "Not made the current model: it does worse than the shipped model: "
                + "; ".join(reasons)
                + ". The matcher keeps using the current model; --accept-worse uses it anyway."
            )
            return
        if reasons:
            self.stdout.write(
                "Warning: it does worse than the shipped model: " + "; ".join(reasons)
            )
        self.stdout.write("Made it the current model.")
