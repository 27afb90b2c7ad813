"""One answer per permission per request (PermissionMemoMiddleware): a page that asks
the same permission in every row asks the backends once, and the answers are the ones
the backends give."""

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from openmash.accounts.models import User
from openmash.core.middleware import PermissionMemoMiddleware
from tests.conftest import signed_in


def _through_middleware(user: Any, view: Any) -> HttpResponse:
    request = RequestFactory().get("/")
    request.user = user
    return PermissionMemoMiddleware(view)(request)


@pytest.mark.django_db
def test_each_permission_is_asked_of_the_backends_once_a_request(screener: User) -> None:
    seen: list[bool] = []

    def view(request: HttpRequest) -> HttpResponse:
        for _ in range(50):
            seen.append(request.user.has_perm("enquiries.view_child_chronology"))
            seen.append(request.user.has_perm("accounts.manage_users"))
        return HttpResponse()

    fresh = User.objects.get(pk=screener.pk)
    expected = (
        fresh.has_perm("enquiries.view_child_chronology"),
        fresh.has_perm("accounts.manage_users"),
    )
    user = User.objects.get(pk=screener.pk)
    calls: list[str] = []
    ask = user.has_perm

    def counting(perm: str, obj: object = None) -> bool:
        calls.append(perm)
        return ask(perm, obj)

    user.has_perm = counting  # type: ignore[method-assign]
    _through_middleware(user, view)

    assert calls == ["enquiries.view_child_chronology", "accounts.manage_users"]
    assert seen == list(expected) * 50
    assert expected == (True, False)


@pytest.mark.django_db
def test_a_check_on_an_object_is_asked_each_time(screener: User) -> None:
    user = User.objects.get(pk=screener.pk)
    calls: list[object] = []

    def counting(perm: str, obj: object = None) -> bool:
        calls.append(obj)
        return obj == "mine"

    user.has_perm = counting  # type: ignore[method-assign]

    def view(request: HttpRequest) -> HttpResponse:
        answers = [request.user.has_perm("app.change_thing", obj) for obj in ("mine", "mine", "x")]
        assert answers == [True, True, False]
        return HttpResponse()

    _through_middleware(user, view)
    assert calls == ["mine", "mine", "x"]


def test_nobody_signed_in_is_left_alone() -> None:
    anonymous = AnonymousUser()
    response = _through_middleware(anonymous, lambda request: HttpResponse("ok"))
    assert response.content == b"ok"
    assert "has_perm" not in vars(anonymous)


@pytest.mark.django_db
def test_a_page_answers_from_the_memo_and_the_next_request_asks_again(screener: User) -> None:
    client = signed_in(screener)
    assert client.get("/mash/queue/").status_code == 200
    screener.role_grants.all().delete()
    # A new request loads the user again: the removed role counts at once.
    assert client.get("/mash/queue/").status_code == 403
