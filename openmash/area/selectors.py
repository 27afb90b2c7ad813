"""Reads of the area's own settings that several apps need, so each is written once."""

from openmash.area.models import DEFAULT_PROTECTIVE_MARKING, ProtectiveMarking, RagLevel


def rag_levels_active() -> list[RagLevel]:
    """The RAG ratings a screener can give today, most urgent first."""
    return list(RagLevel.objects.filter(active=True).order_by("order"))


def rag_level_active(code: str) -> RagLevel | None:
    """The active RAG rating with this code, or None if there is none (or it is retired)."""
    return RagLevel.objects.filter(code=code, active=True).first()


def protective_marking() -> str:
    """The marking every printed page carries: the area's own, else OFFICIAL-SENSITIVE."""
    marking = ProtectiveMarking.objects.values_list("marking", flat=True).first()
    return marking or DEFAULT_PROTECTIVE_MARKING
