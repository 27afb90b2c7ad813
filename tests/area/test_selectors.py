"""The area's RAG levels as every app reads them: only active ones, most urgent first."""

import pytest

from openmash.area.models import RagLevel
from openmash.area.selectors import rag_level_active, rag_levels_active

pytestmark = pytest.mark.django_db


def test_it_lists_the_active_levels_most_urgent_first() -> None:
    levels = rag_levels_active()
    assert [level.order for level in levels] == sorted(level.order for level in levels)
    assert levels and all(level.active for level in levels)


def test_it_leaves_out_a_retired_level() -> None:
    retired = RagLevel.objects.order_by("order").first()
    assert retired is not None
    retired.active = False
    retired.save()
    assert retired not in rag_levels_active()
    assert rag_level_active(retired.code) is None


def test_it_finds_an_active_level_by_its_code() -> None:
    level = rag_levels_active()[0]
    assert rag_level_active(level.code) == level
    assert rag_level_active("no-such-level") is None
