from typing import Any

from django.core.management.base import BaseCommand

from openmash.linkage.links import (
    auto_link_threshold,
    link_quality,
    link_quality_by_band,
    suggest_threshold,
)


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
            "Precision of suggestions: "
            + quality.suggestion_precision.text(none="no decisions yet"),
            "Precision of automatic links: "
            + quality.automatic_precision.text(none="no automatic links yet"),
            "Recall at the automatic threshold: "
            + quality.auto_threshold_recall.text(none="no confirmed links yet"),
            f"Suggestions people overrode (rejected or undone): {quality.overridden}",
            "By match probability (suggestions; confirmed; rejected or undone; awaiting; "
            "confirmed of decided):",
        ]
        for band in link_quality_by_band():
            lines.append(
                f"  {band.label}: {band.suggestions}; {band.confirmed}; {band.overridden}; "
                f"{band.awaiting}; {band.share_confirmed.text(none='none decided')}"
            )
        self.stdout.write("\n".join(lines))
