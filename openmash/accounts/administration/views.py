"""The user administration pages: the list of accounts, adding one, an account's page,
changing its details and roles, deactivating and reactivating it, and the roles with who
holds each. Every change goes through openmash/accounts/services.py, audited there."""

from typing import cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from openmash.accounts.administration.forms import (
    DeactivateForm,
    UserAddForm,
    UserDetailsForm,
    UserFilterForm,
    UserRolesForm,
)
from openmash.accounts.administration.presenters import RoleSummary, UserRow, pages_for_role
from openmash.accounts.administration.selectors import role_holders, user_get, users_filtered
from openmash.accounts.models import DeactivationReason, User
from openmash.accounts.services import (
    MANAGE_USERS,
    CannotDeactivateYourself,
    roles_grantable_by,
    roles_held,
    user_add,
    user_deactivate,
    user_reactivate,
    user_roles_set,
    user_update,
    user_within_reach,
)
from openmash.accounts.sso.config import sso_enabled
from openmash.core.audit import Actor
from openmash.core.errors import FieldErrors
from openmash.core.forms import GovukFormMixin, error_summary
from openmash.core.permissions import requires
from openmash.core.roles import Role

USERS_PER_PAGE = 50


def _administrator(request: HttpRequest) -> User:
    return cast(User, request.user)


def _account(user_id: int) -> User:
    try:
        return user_get(user_id)
    except User.DoesNotExist as missing:
        raise Http404 from missing


def _changeable(request: HttpRequest, user_id: int) -> User:
    """The account `user_id`, if the signed-in person may change it (403 otherwise)."""
    user = _account(user_id)
    if not user_within_reach(actor=_administrator(request), user=user):
        raise PermissionDenied
    return user


def _show_errors(form: GovukFormMixin, invalid: FieldErrors) -> None:
    for name, message in invalid.errors.items():
        form.add_error(name if name in form.fields else None, message)  # type: ignore[attr-defined]
    form.mark_error_widgets()


@requires(MANAGE_USERS)
def user_list_view(request: HttpRequest) -> HttpResponse:
    filters = UserFilterForm(request.GET)
    agency_id, role, status = filters.chosen()
    paginator = Paginator(
        users_filtered(agency_id=agency_id, role=role, status=status), USERS_PER_PAGE
    )
    page = paginator.get_page(request.GET.get("page"))
    kept = {
        name: value
        for name, value in (
            ("agency", agency_id or ""),
            ("role", role.value if role else ""),
            ("status", status),
        )
        if value
    }
    return render(
        request,
        "accounts/administration/users.html",
        {
            "filters": filters,
            "filtered": bool(kept),
            "rows": [UserRow(user) for user in page],
            "page": page,
            "total": paginator.count,
            "previous_href": "?" + urlencode({**kept, "page": page.previous_page_number()})
            if page.has_previous()
            else "",
            "next_href": "?" + urlencode({**kept, "page": page.next_page_number()})
            if page.has_next()
            else "",
        },
    )


@requires(MANAGE_USERS)
@require_http_methods(["GET", "POST"])
def user_add_view(request: HttpRequest) -> HttpResponse:
    administrator = _administrator(request)
    grantable = roles_grantable_by(administrator)
    form = UserAddForm(request.POST if request.method == "POST" else None, grantable=grantable)
    if form.is_bound and form.is_valid():
        try:
            user = user_add(
                actor=Actor.from_request(request),
                details=form.details(),
                roles=form.roles(),
                site_url=settings.SITE_URL or request.build_absolute_uri("/"),
            )
        except FieldErrors as invalid:
            _show_errors(form, invalid)
        else:
            messages.success(
                request,
                f"{user.display_name}'s account has been added. We have emailed them a link "
                "to set their password.",
            )
            return redirect("user-admin:user", user_id=user.pk)
    return render(
        request,
        "accounts/administration/user_add.html",
        {
            "form": form,
            "error_summary": error_summary(form),
            "may_grant_every_role": grantable == frozenset(Role),
        },
        status=400 if form.is_bound else 200,
    )


@requires(MANAGE_USERS)
def user_view(request: HttpRequest, user_id: int) -> HttpResponse:
    administrator = _administrator(request)
    user = _account(user_id)
    may_change = user_within_reach(actor=administrator, user=user)
    return render(
        request,
        "accounts/administration/user.html",
        {
            "account": UserRow(user, may_change=may_change),
            "is_you": user.pk == administrator.pk,
            "has_password": user.has_usable_password(),
            "sso_enabled": sso_enabled(),
        },
    )


@requires(MANAGE_USERS)
@require_http_methods(["GET", "POST"])
def user_change_view(request: HttpRequest, user_id: int) -> HttpResponse:
    user = _changeable(request, user_id)
    if request.method == "POST":
        form = UserDetailsForm(request.POST)
        if form.is_valid():
            try:
                changed = user_update(
                    actor=Actor.from_request(request), user=user, details=form.details()
                )
            except FieldErrors as invalid:
                _show_errors(form, invalid)
            else:
                messages.success(
                    request, "The changes have been saved." if changed else "Nothing was changed."
                )
                return redirect("user-admin:user", user_id=user.pk)
    else:
        form = UserDetailsForm(
            initial={
                "first_name": user.first_name,
                "last_name": user.last_name,
                "username": user.username,
                "email": user.email,
                "agency": str(user.agency_id or ""),
                "job_title": user.job_title,
                "phone": user.phone,
            }
        )
    return render(
        request,
        "accounts/administration/user_change.html",
        {"form": form, "account": UserRow(user), "error_summary": error_summary(form)},
        status=400 if form.is_bound else 200,
    )


@requires(MANAGE_USERS)
@require_http_methods(["GET", "POST"])
def user_roles_view(request: HttpRequest, user_id: int) -> HttpResponse:
    user = _changeable(request, user_id)
    grantable = roles_grantable_by(_administrator(request))
    if request.method == "POST":
        form = UserRolesForm(request.POST, grantable=grantable)
        if form.is_valid():
            try:
                added, removed = user_roles_set(
                    actor=Actor.from_request(request), user=user, roles=form.roles()
                )
            except FieldErrors as invalid:
                _show_errors(form, invalid)
            else:
                messages.success(
                    request,
                    "Their roles have been changed."
                    if added or removed
                    else "Nothing was changed.",
                )
                return redirect("user-admin:user", user_id=user.pk)
    else:
        form = UserRolesForm(
            initial={"roles": sorted(role.value for role in roles_held(user))},
            grantable=grantable,
        )
    return render(
        request,
        "accounts/administration/user_roles.html",
        {
            "form": form,
            "account": UserRow(user),
            "error_summary": error_summary(form),
            "sso_enabled": sso_enabled(),
        },
        status=400 if form.is_bound else 200,
    )


@requires(MANAGE_USERS)
@require_http_methods(["GET", "POST"])
def user_deactivate_view(request: HttpRequest, user_id: int) -> HttpResponse:
    user = _changeable(request, user_id)
    if not user.is_active:
        messages.success(request, "This account is already deactivated.")
        return redirect("user-admin:user", user_id=user.pk)
    is_you = user.pk == request.user.pk
    form = DeactivateForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_bound and not is_you and form.is_valid():
        try:
            user_deactivate(
                user=user,
                by=Actor.from_request(request),
                reason=DeactivationReason(form.cleaned_data["reason"]),
            )
        except CannotDeactivateYourself:
            is_you = True
        else:
            messages.success(
                request,
                f"{user.display_name}'s account has been deactivated: they have been signed "
                "out and cannot sign in.",
            )
            return redirect("user-admin:user", user_id=user.pk)
    if form.is_bound:
        status = 409 if is_you else 400
    return render(
        request,
        "accounts/administration/user_deactivate.html",
        {
            "form": form,
            "account": UserRow(user),
            "is_you": is_you,
            "error_summary": [] if is_you else error_summary(form),
        },
        status=status,
    )


@requires(MANAGE_USERS)
@require_http_methods(["GET", "POST"])
def user_reactivate_view(request: HttpRequest, user_id: int) -> HttpResponse:
    user = _changeable(request, user_id)
    if user.is_active:
        messages.success(request, "This account is already active.")
        return redirect("user-admin:user", user_id=user.pk)
    if request.method == "POST":
        user_reactivate(user=user, by=Actor.from_request(request))
        messages.success(
            request, f"{user.display_name}'s account has been reactivated: they can sign in again."
        )
        return redirect("user-admin:user", user_id=user.pk)
    return render(
        request,
        "accounts/administration/user_reactivate.html",
        {"account": UserRow(user), "dormant_days": settings.DORMANT_ACCOUNT_DAYS},
    )


@requires(MANAGE_USERS)
def roles_view(request: HttpRequest) -> HttpResponse:
    grantable = roles_grantable_by(_administrator(request))
    holders = role_holders()
    summaries = [
        RoleSummary(
            role=role,
            pages=pages_for_role(role),
            holders=[UserRow(user) for user in holders.get(role.value, [])],
            may_grant=role in grantable,
        )
        for role in Role
    ]
    return render(
        request,
        "accounts/administration/roles.html",
        {"roles": summaries, "may_grant_every_role": grantable == frozenset(Role)},
    )
