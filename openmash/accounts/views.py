from typing import Any, cast
from urllib.parse import urlencode

from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from openmash.accounts.forms import ChangePasswordForm, PasswordResetRequestForm, SetNewPasswordForm
from openmash.accounts.models import User
from openmash.accounts.presenters import SessionRow
from openmash.accounts.services import (
    SINGLE_SIGN_ON,
    password_reset_request,
    user_password_changed,
)
from openmash.accounts.sessions import (
    session_current_record,
    user_session_end,
    user_sessions_active,
    user_sessions_end_others,
)
from openmash.accounts.sso import SIGNED_IN_WITH_SESSION_KEY, SIGNED_IN_WITH_SSO
from openmash.accounts.sso.config import sso_enabled
from openmash.accounts.sso.views import provider_sign_out_url
from openmash.accounts.throttle import password_reset_request_count
from openmash.core.audit import Actor, audit_record
from openmash.core.client_address import client_address
from openmash.core.forms import GovukFormMixin, error_summary
from openmash.core.models import AuditAction
from openmash.core.permissions import public, requires
from openmash.core.roles import Role
from openmash.core.time_text import plural


class SignInForm(GovukFormMixin, AuthenticationForm):
    # The same words whether the username is unknown, the password wrong or the account
    # deactivated: the page never says which accounts exist.
    error_messages = {
        "invalid_login": "The username or password is not right",
        "inactive": "The username or password is not right",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].error_messages["required"] = "Enter your username"
        self.fields["password"].error_messages["required"] = "Enter your password"
        self.fields["username"].label = "Username"
        self.fields["password"].widget = forms.PasswordInput(
            attrs={"autocomplete": "current-password"}
        )
        self.style_widgets()

    def full_clean(self) -> None:
        super().full_clean()
        self.mark_error_widgets()


class SignInView(auth_views.LoginView):
    template_name = "accounts/sign_in.html"
    form_class = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if sso_enabled():
            # "Sign in with <provider>" beside the password form, which keeps working.
            start = reverse("accounts:sso-start")
            next_url = context.get("next")
            context["sso_provider_name"] = settings.OIDC_PROVIDER_NAME
            context["sso_start_url"] = (
                f"{start}?{urlencode({'next': next_url})}" if next_url else start
            )
        return context

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        audit_record(
            actor=Actor.from_request(self.request),
            action=AuditAction.SIGN_IN,
            object_type="user",
            object_id=self.request.user.pk,
        )
        return response


sign_in_view = public(SignInView.as_view())


@requires("core.view_home")
@require_POST
def sign_out_view(request: HttpRequest) -> HttpResponseBase:
    """Ends the session; for someone who signed in through the provider, then ends their
    session there too when it has an end-session endpoint (provider_sign_out_url)."""
    by_sso = request.session.get(SIGNED_IN_WITH_SESSION_KEY) == SIGNED_IN_WITH_SSO
    audit_record(
        actor=Actor.from_request(request),
        action=AuditAction.SIGN_OUT,
        object_type="user",
        object_id=request.user.pk,
        detail={"method": SINGLE_SIGN_ON} if by_sso else None,
    )
    response = auth_views.LogoutView.as_view()(request)
    at_provider = provider_sign_out_url(request) if by_sso else None
    return HttpResponseRedirect(at_provider) if at_provider else response


def locked_out_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """What every password sign-in (this site's and the administration's) answers while
    the account or the address is locked out (django-axes, AXES_LOCKOUT_CALLABLE)."""
    minutes = settings.SIGN_IN_LOCKOUT_MINUTES
    response = render(
        request,
        "accounts/locked_out.html",
        {"lockout_minutes": minutes, "failure_limit": settings.SIGN_IN_ACCOUNT_FAILURES},
        status=429,
    )
    response["Retry-After"] = str(minutes * 60)
    return response


# --- A person's own account (issue 14, item 4): password, sessions -----------------------


def _system_actor(request: HttpRequest, system: str) -> Actor:
    """Who acts for someone not signed in (asking for or using a password link)."""
    return Actor(
        system=system,
        request_id=getattr(request, "request_id", ""),
        ip_address=client_address(request) or None,
    )


@requires("accounts.view_own_account")
def account_view(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    roles = sorted(Role(role).label for role in user.roles)
    sessions = user_sessions_active(user=user, now=timezone.now())
    return render(
        request,
        "accounts/account.html",
        {
            "account": user,
            "roles": roles,
            "session_count": len(sessions),
            "session_max_hours": settings.SESSION_MAX_HOURS,
            "has_password": user.has_usable_password(),
        },
    )


@requires("accounts.change_own_password")
@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
def password_change_view(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    form = ChangePasswordForm(user=user, data=request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        form.save()
        # Keeps this session signed in (Django gives it a new key); every other session
        # of theirs is ended.
        update_session_auth_hash(request, user)
        ended = user_password_changed(
            actor=Actor.from_request(request),
            user=user,
            keep_session=session_current_record(request),
            how="changed",
        )
        others = f" You have been signed out of {plural(ended, 'other session')}." if ended else ""
        messages.success(request, f"Your password has been changed.{others}")
        return redirect("accounts:account")
    if form.is_bound and form.has_error("old_password", "password_incorrect"):
        # A wrong current password is a failed sign-in like any other: whoever holds a
        # signed-in session (a screen left unlocked) must not guess the password here
        # without limit. At the limit the account is locked and this session ends.
        credentials = {"username": user.get_username()}
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if AxesProxyHandler.is_locked(request, credentials):
            logout(request)
            return locked_out_response(request, credentials=credentials)
    return render(
        request,
        "accounts/password_change.html",
        {"form": form, "error_summary": error_summary(form)},
        status=400 if form.is_bound else 200,
    )


@public
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def password_reset_view(request: HttpRequest) -> HttpResponse:
    """Asks for a link to set a new password. The answer is the same whether or not the
    address has an account (no account enumeration)."""
    form = PasswordResetRequestForm(request.POST if request.method == "POST" else None)
    if form.is_bound:
        retry_after = password_reset_request_count(address=client_address(request))
        if retry_after:
            response = render(request, "accounts/password_reset_too_many.html", status=429)
            response["Retry-After"] = str(retry_after)
            return response
        if form.is_valid():
            password_reset_request(
                actor=_system_actor(request, "password reset"),
                email=form.cleaned_data["email"],
                site_url=settings.SITE_URL or request.build_absolute_uri("/"),
            )
            return redirect("accounts:password-reset-sent")
    return render(
        request,
        "accounts/password_reset.html",
        {"form": form, "error_summary": error_summary(form)},
        status=400 if form.is_bound else 200,
    )


@public
def password_reset_sent_view(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/password_reset_sent.html",
        {"link_minutes": settings.PASSWORD_RESET_TIMEOUT // 60},
    )


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The page the emailed link opens: Django's check of the single-use, time-limited
    token (it moves the token out of the address into the session before showing the
    form), then a new password; every session of the person's is ended, and it is
    audited."""

    template_name = "accounts/password_reset_confirm.html"
    form_class = SetNewPasswordForm
    success_url = reverse_lazy("accounts:sign-in")

    def get_user(self, uidb64: str) -> Any:
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user = form.user
        user_password_changed(
            actor=Actor(
                user=user,
                request_id=getattr(self.request, "request_id", ""),
                ip_address=client_address(self.request) or None,
            ),
            user=user,
            keep_session=None,
            how="reset by email",
        )
        messages.success(
            self.request, "Your password has been changed. Sign in with your new password."
        )
        return response

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = 400
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = context.get("form")
        context["error_summary"] = error_summary(form) if form is not None else []
        context["link_minutes"] = settings.PASSWORD_RESET_TIMEOUT // 60
        return context


password_reset_confirm_view = public(PasswordResetConfirmView.as_view())


@requires("accounts.manage_own_sessions")
def sessions_view(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    current = session_current_record(request)
    rows = [
        SessionRow(session, current=session.pk == current)
        for session in user_sessions_active(user=user, now=timezone.now())
    ]
    rows.sort(key=lambda row: not row.current)  # this session first
    return render(
        request,
        "accounts/sessions.html",
        {"rows": rows, "others": sum(not row.current for row in rows)},
    )


@requires("accounts.manage_own_sessions")
@require_POST
def session_end_view(request: HttpRequest, session_id: int) -> HttpResponse:
    user = cast(User, request.user)
    if session_id == session_current_record(request):
        # This session: that is signing out, with its own button.
        raise Http404
    if not user_session_end(actor=Actor.from_request(request), user=user, session_id=session_id):
        raise Http404
    messages.success(request, "You have signed out of that session.")
    return redirect("accounts:sessions")


@requires("accounts.manage_own_sessions")
@require_POST
def sessions_end_others_view(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    ended = user_sessions_end_others(
        actor=Actor.from_request(request),
        user=user,
        keep=session_current_record(request),
        reason="the user signed out of other sessions",
    )
    messages.success(
        request,
        f"You have signed out of {plural(ended, 'other session')}."
        if ended
        else "You were not signed in anywhere else.",
    )
    return redirect("accounts:sessions")
