"""A search's terms kept in the user's session under a random id (openmash.core.kept_searches)."""

from importlib import import_module

import pytest
from django.conf import settings
from django.http import HttpRequest

from openmash.core import kept_searches
from openmash.core.kept_searches import KeptSearches


@pytest.fixture
def request_with_session() -> HttpRequest:
    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    return request


def test_terms_are_found_by_their_id_and_only_in_date(
    request_with_session: HttpRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    searches = KeptSearches("tests_searches", minutes=30)
    search_id = searches.keep(request_with_session, {"family_name": "Harper"})
    assert searches.terms(request_with_session, search_id) == {"family_name": "Harper"}
    assert searches.terms(request_with_session, "not-an-id") is None
    # Another kind of search does not see them.
    assert KeptSearches("other_searches").terms(request_with_session, search_id) is None
    real = kept_searches.time.time
    monkeypatch.setattr(kept_searches.time, "time", lambda: real() + 31 * 60)
    assert searches.terms(request_with_session, search_id) is None


def test_only_the_newest_are_kept(request_with_session: HttpRequest) -> None:
    searches = KeptSearches("tests_searches", kept=3)
    ids = [searches.keep(request_with_session, {"n": str(n)}) for n in range(5)]
    assert [searches.terms(request_with_session, each) for each in ids] == [
        None,
        None,
        {"n": "2"},
        {"n": "3"},
        {"n": "4"},
    ]
    assert len(request_with_session.session["tests_searches"]) == 3


def test_a_search_stored_in_another_shape_is_not_found(request_with_session: HttpRequest) -> None:
    import time

    request_with_session.session["tests_searches"] = {
        "old": {"q": "Ellie", "at": time.time()},
        "odd": "not a search",
    }
    searches = KeptSearches("tests_searches")
    assert searches.terms(request_with_session, "old") is None
    assert searches.terms(request_with_session, "odd") is None
