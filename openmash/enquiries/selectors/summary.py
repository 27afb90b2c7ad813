"""What a receiving team may see of a hand-on: `hand_on_summary(hand_on)`, defined in
openmash.enquiries.summary (the fire-wall rules it follows are described there). Pure:
it checks no permission and records no audit event, so the pages, the API and event
payloads can all build on it; a caller reading for a user scopes and audits the read."""

from openmash.enquiries.summary import (
    HandOnSummary,
    SharedFinding,
    decision_summary,
    hand_on_summary,
)

__all__ = ["HandOnSummary", "SharedFinding", "decision_summary", "hand_on_summary"]
