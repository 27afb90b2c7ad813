from typing import Any

from django.core.management.base import BaseCommand

from openmash.linkage.links import (
    auto_link_threshold,
    link_quality,
    link_quality_by_band,
    suggest_threshold,
)


def _percent(value: float | None) -> str:
    return "no decisions yet" if value is None else f"{value:.1%}"


class Command(BaseCommand):
    help = "Estimated precision and recall of the matcher's suggestions, from people's decisions."

    def handle(self, *args: Any, **options: Any) -> None:
        quality = link_quality()
        lines = [
            f"Suggestion threshold {suggest_threshold():.3f}; automatic link threshold "
            f"{auto_link_threshold():.4f} (with the same NHS number).",
            f"Suggestions made: {quality.suggestions} (automatic links: {quality.automatic})",
            f"Confirmed by a person: {quality.confirmed}; rejected: {quality.rejected}; "
            f"undone: {quality.undone} (of them automatic: {quality.automatic_undone})",
            f"Precision of suggestions: {_percent(quality.precision_of_suggestions)}",
            f"Precision of automatic links: {_percent(quality.precision_of_automatic_links)}",
            f"Recall at the automatic threshold: {_percent(quality.recall_at_auto_threshold)}",
            f"Suggestions people overrode (rejected or undone): {quality.overridden}",
            "By match probability (suggestions; confirmed; rejected or undone; awaiting; "
            "confirmed of decided):",
        ]
        for band in link_quality_by_band():
            lines.append(
                f"  {band.label}: {band.suggestions}; {band.confirmed}; {band.overridden}; "
                f"{band.awaiting}; {_percent(band.precision)}"
            )
        self.stdout.write("\n".join(lines))
