"""The pages of two-factor sign-in: using a second factor after the password, setting one
up (at first sign-in, or another later), security keys and passkeys, recovery codes, and
for administrators resetting a person's factors and the area's exemptions."""

import json
from base64 import b32encode
from typing import Any, cast

import segno
from axes.handlers.proxy import AxesProxyHandler
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_login_failed
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from openmash.accounts.models import User
from openmash.accounts.views import locked_out_response
from openmash.core.audit import Actor
from openmash.core.forms import error_summary
from openmash.core.permissions import requires
from openmash.core.roles import Role
from openmash.core.time_text import plural
from openmash.two_factor.forms import (
    CodeForm,
    ExemptionsForm,
    SecurityKeyNameForm,
    SetUpCodeForm,
)
from openmash.two_factor.middleware import session_verified, signed_in_with_sso
from openmash.two_factor.security_keys import (
    REGISTER_STATE_KEY,
    SIGN_IN_STATE_KEY,
    ceremony_for,
    take_state,
)
from openmash.two_factor.services import (
    RECOVERY_CODES,
    NoFactor,
    SecurityKeyRefused,
    two_factor_authenticator_apps,
    two_factor_check,
    two_factor_exempt_roles,
    two_factor_exemptions_list,
    two_factor_exemptions_set,
    two_factor_has_factor,
    two_factor_recovery_codes_left,
    two_factor_recovery_codes_regenerate,
    two_factor_required,
    two_factor_reset,
    two_factor_security_key,
    two_factor_security_key_check,
    two_factor_security_key_register,
    two_factor_security_key_register_begin,
    two_factor_security_key_remove,
    two_factor_security_key_sign_in_begin,
    two_factor_security_keys,
    two_factor_totp_confirm,
    two_factor_totp_pending,
    two_factor_totp_start,
    two_factor_user,
)

PENDING_DEVICE_KEY = "two_factor_pending_device"
NEW_CODES_KEY = "two_factor_new_recovery_codes"
PENDING_KEY_NAME_KEY = "two_factor_security_key_name"


def _next_url(request: HttpRequest) -> str:
    """Where to go once past the second factor: the page asked for, if it is ours."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("home:home")


def _locked_out(request: HttpRequest) -> HttpResponse:
    """Too many wrong codes (or passwords) for this account or address: signed out, and
    the same locked-out page as the password's."""
    logout(request)
    return locked_out_response(request)


@requires("two_factor.use_own")
@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def verify_view(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    next_url = _next_url(request)
    if session_verified(request) or not two_factor_has_factor(user=user):
        # Nothing to check here: on to the page asked for (or, for someone who must set
        # up a factor, the middleware sends them to do that).
        return redirect(next_url)
    credentials = {"username": user.username}
    if not AxesProxyHandler.is_allowed(request, credentials):
        return _locked_out(request)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        verification = two_factor_check(
            actor=Actor.from_request(request), user=user, code=form.cleaned_data["code"]
        )
        if verification is not None:
            otp_login(request, verification.device)
            if verification.kind == RECOVERY_CODES:
                left = verification.recovery_codes_left
                messages.info(
                    request,
                    f"You used a recovery code. You have {plural(left, 'recovery code')} "
                    "left: get new ones from your account if you are running out.",
                    extra_tags="important",
                )
            return redirect(next_url)
        # A wrong code counts towards the lockout like a wrong password.
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if getattr(request, "axes_locked_out", False):
            return _locked_out(request)
        form.add_error(
            "code",
            "The code is not right. Enter the newest code your app shows, or a recovery "
            "code you have not used",
        )
    has_app = bool(two_factor_authenticator_apps(user=user))
    if not has_app:
        form.fields["code"].help_text = "One of the recovery codes you were given."
    return render(
        request,
        "two_factor/verify.html",
        {
            "form": form,
            "error_summary": error_summary(form),
            "next": next_url,
            "has_app": has_app,
            "has_security_key": bool(two_factor_security_keys(user=user)),
        },
        status=400 if form.is_bound else 200,
    )


def _grouped(key: bytes) -> str:
    text = b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@requires("two_factor.use_own")
@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def set_up_view(request: HttpRequest) -> HttpResponse:
    """Setting up an authenticator app: at first sign-in, or another one later. Someone
    who has a factor already must use it first (else the password alone would be enough
    to add an attacker's app)."""
    user = cast(User, request.user)
    if two_factor_has_factor(user=user) and not session_verified(request):
        return redirect(f"{reverse('two_factor:verify')}?next={reverse('two_factor:set-up')}")
    actor = Actor.from_request(request)
    pending_id = request.session.get(PENDING_DEVICE_KEY)
    device: TOTPDevice | None = None
    if isinstance(pending_id, int):
        device = two_factor_totp_pending(user=user, device_id=pending_id)
    form = SetUpCodeForm(request.POST if request.method == "POST" else None)
    if device is None:
        device = two_factor_totp_start(actor=actor, user=user)
        request.session[PENDING_DEVICE_KEY] = device.pk
        if form.is_bound:
            # The app was set up with a secret that is gone (a new session): start again.
            form = SetUpCodeForm(None)
    elif form.is_bound and form.is_valid():
        codes = two_factor_totp_confirm(
            actor=actor, user=user, device_id=device.pk, code=form.cleaned_data["code"]
        )
        if codes is not None:
            request.session.pop(PENDING_DEVICE_KEY, None)
            device.refresh_from_db()
            otp_login(request, device)
            messages.success(request, "Your authenticator app is set up.")
            if codes:
                request.session[NEW_CODES_KEY] = codes
                return redirect("two_factor:recovery-codes")
            return redirect("two_factor:manage")
        form.add_error(
            "code",
            "The code is not right. Check the app shows OpenMASH and enter its newest code",
        )
    qr = segno.make(device.config_url, error="m")
    return render(
        request,
        "two_factor/set_up.html",
        {
            "form": form,
            "error_summary": error_summary(form),
            "qr_svg": qr.svg_inline(scale=4, border=2, title="QR code to scan with your app"),
            "setup_key": _grouped(device.bin_key),
            "first": not two_factor_has_factor(user=user),
            "required": two_factor_required(
                user=user, signed_in_with_sso=signed_in_with_sso(request)
            ),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@requires("two_factor.use_own")
@never_cache
@require_http_methods(["GET"])
def manage_view(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    return render(
        request,
        "two_factor/manage.html",
        {
            "apps": two_factor_authenticator_apps(user=user),
            "security_keys": two_factor_security_keys(user=user),
            "recovery_codes_left": two_factor_recovery_codes_left(user=user),
            "has_factor": two_factor_has_factor(user=user),
        },
    )


@requires("two_factor.use_own")
@never_cache
@require_http_methods(["GET", "POST"])
def recovery_codes_view(request: HttpRequest) -> HttpResponse:
    """GET: the codes just made, shown once. POST: new codes, replacing the old."""
    user = cast(User, request.user)
    if request.method == "POST":
        try:
            codes = two_factor_recovery_codes_regenerate(
                actor=Actor.from_request(request), user=user
            )
        except NoFactor:
            return redirect("two_factor:set-up")
        request.session[NEW_CODES_KEY] = codes
        return redirect("two_factor:recovery-codes")
    new_codes = request.session.pop(NEW_CODES_KEY, None)
    if not new_codes:
        return redirect("two_factor:manage")
    return render(request, "two_factor/recovery_codes.html", {"codes": new_codes})


@requires("two_factor.reset_user")
@never_cache
@require_http_methods(["GET", "POST"])
def reset_view(request: HttpRequest, user_id: int) -> HttpResponse:
    """An administrator removes a person's second factors (they lost their phone or
    key); the person sets up a new one at their next sign-in."""
    person = two_factor_user(user_id=user_id)
    if person is None:
        raise Http404
    if request.method == "POST":
        removed = two_factor_reset(actor=Actor.from_request(request), user=person)
        messages.success(
            request,
            f"{person.display_name}'s second factors have been reset "
            f"({plural(removed, 'device')} removed). They will set up a new one the next "
            "time they sign in.",
        )
        return redirect("two_factor:reset", user_id=person.pk)
    return render(
        request,
        "two_factor/reset.html",
        {
            "person": person,
            "apps": len(two_factor_authenticator_apps(user=person)),
            "security_keys": len(two_factor_security_keys(user=person)),
            "recovery_codes_left": two_factor_recovery_codes_left(user=person),
            "has_factor": two_factor_has_factor(user=person),
        },
    )


@requires("two_factor.manage_exemptions")
@never_cache
@require_http_methods(["GET", "POST"])
def exemptions_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = ExemptionsForm(request.POST)
        if form.is_valid():
            two_factor_exemptions_set(
                actor=Actor.from_request(request), roles=form.cleaned_data["roles"]
            )
            messages.success(request, "Who must use a second factor has been saved.")
            return redirect("two_factor:exemptions")
    else:
        form = ExemptionsForm(initial={"roles": sorted(two_factor_exempt_roles())})
    return render(
        request,
        "two_factor/exemptions.html",
        {
            "form": form,
            "error_summary": error_summary(form),
            "exemptions": [
                (Role(exemption.role).label, exemption)
                for exemption in two_factor_exemptions_list()
            ],
        },
        status=400 if form.is_bound and form.errors else 200,
    )


# --- Security keys and passkeys (WebAuthn) -----------------------------------------------
# Adding one is two pages: its name (a plain form), then the page whose button starts the
# browser's WebAuthn ceremony (openmash/static/js/security-keys.mjs). The ceremony's two
# steps are JSON endpoints: the first gives the browser a challenge, the second checks
# its answer (django-otp-webauthn does both).


def _may_add_factor(request: HttpRequest, user: User) -> bool:
    """As for an authenticator app: someone with a factor must have used it in this
    session before adding another (a password alone never adds an attacker's key)."""
    return session_verified(request) or not two_factor_has_factor(user=user)


def _json_problem(detail: str, status: int = 400, **extra: Any) -> JsonResponse:
    return JsonResponse({"detail": detail, **extra}, status=status)


def _answer(request: HttpRequest) -> dict[str, Any] | None:
    """The browser's answer to a challenge: a JSON object, or None."""
    try:
        answer = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return None
    return answer if isinstance(answer, dict) else None


EXPIRED = "This page has expired. Start again."


@requires("two_factor.use_own")
@never_cache
@require_http_methods(["GET", "POST"])
def security_key_add_view(request: HttpRequest) -> HttpResponse:
    """Adding a security key or passkey, first step: what to call it."""
    user = cast(User, request.user)
    here = reverse("two_factor:security-key-add")
    if not _may_add_factor(request, user):
        return redirect(f"{reverse('two_factor:verify')}?next={here}")
    form = SecurityKeyNameForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        request.session[PENDING_KEY_NAME_KEY] = form.cleaned_data["name"]
        return redirect("two_factor:security-key-register")
    has_factor = two_factor_has_factor(user=user)
    return render(
        request,
        "two_factor/security_key_add.html",
        {
            "form": form,
            "error_summary": error_summary(form),
            "first": not has_factor,
            "required": two_factor_required(
                user=user, signed_in_with_sso=signed_in_with_sso(request)
            ),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@requires("two_factor.use_own")
@never_cache
@require_http_methods(["GET"])
def security_key_register_view(request: HttpRequest) -> HttpResponse:
    """Adding a security key or passkey, second step: the button that asks the browser
    to create it."""
    user = cast(User, request.user)
    if not _may_add_factor(request, user):
        return redirect(
            f"{reverse('two_factor:verify')}?next={reverse('two_factor:security-key-add')}"
        )
    name = request.session.get(PENDING_KEY_NAME_KEY)
    if not name:
        return redirect("two_factor:security-key-add")
    return render(
        request,
        "two_factor/security_key_register.html",
        {"name": name, "first": not two_factor_has_factor(user=user)},
    )


@requires("two_factor.use_own")
@never_cache
@require_http_methods(["POST"])
def security_key_register_begin_view(request: HttpRequest) -> JsonResponse:
    user = cast(User, request.user)
    if not _may_add_factor(request, user):
        return _json_problem("Sign in with your second factor first.", status=403)
    if not request.session.get(PENDING_KEY_NAME_KEY):
        return _json_problem(EXPIRED, redirect_url=reverse("two_factor:security-key-add"))
    options, state = two_factor_security_key_register_begin(
        user=user, ceremony=ceremony_for(request)
    )
    request.session[REGISTER_STATE_KEY] = state
    return JsonResponse(options)


@requires("two_factor.use_own")
@never_cache
@require_http_methods(["POST"])
def security_key_register_complete_view(request: HttpRequest) -> JsonResponse:
    user = cast(User, request.user)
    if not _may_add_factor(request, user):
        return _json_problem("Sign in with your second factor first.", status=403)
    state = take_state(request, REGISTER_STATE_KEY)
    name = request.session.get(PENDING_KEY_NAME_KEY)
    answer = _answer(request)
    if state is None or not name:
        return _json_problem(EXPIRED, redirect_url=reverse("two_factor:security-key-add"))
    if answer is None:
        return _json_problem("Your security key could not be added. Try again.")
    try:
        key, codes = two_factor_security_key_register(
            actor=Actor.from_request(request),
            user=user,
            ceremony=ceremony_for(request),
            state=state,
            answer=answer,
            name=name,
        )
    except SecurityKeyRefused:
        return _json_problem("Your security key could not be added. Try again, or use another key.")
    request.session.pop(PENDING_KEY_NAME_KEY, None)
    if not session_verified(request):
        # Set up at first sign-in: the key has just been used, as an app's code would be.
        otp_login(request, key)
    messages.success(request, f"Your security key or passkey, {key.name}, has been added.")
    if codes:
        request.session[NEW_CODES_KEY] = codes
        return JsonResponse({"redirect_url": reverse("two_factor:recovery-codes")})
    return JsonResponse({"redirect_url": reverse("two_factor:manage")})


def _locked_out_json(request: HttpRequest) -> HttpResponse:
    """Signed out, with the locked-out page's 429 (django-axes' middleware puts that page
    in place of any answer once the account is locked out; the script reloads)."""
    return _locked_out(request)


@requires("two_factor.use_own")
@never_cache
@require_http_methods(["POST"])
def security_key_sign_in_begin_view(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    if not AxesProxyHandler.is_allowed(request, {"username": user.username}):
        return _locked_out_json(request)
    if not two_factor_security_keys(user=user):
        return _json_problem("You have no security key. Enter a code instead.")
    options, state = two_factor_security_key_sign_in_begin(
        user=user, ceremony=ceremony_for(request)
    )
    request.session[SIGN_IN_STATE_KEY] = state
    return JsonResponse(options)


@requires("two_factor.use_own")
@never_cache
@require_http_methods(["POST"])
def security_key_sign_in_complete_view(request: HttpRequest) -> HttpResponse:
    """Checks the browser's answer; the session is then past its second factor. A
    refused answer counts towards the lockout like a wrong code."""
    user = cast(User, request.user)
    credentials = {"username": user.username}
    if not AxesProxyHandler.is_allowed(request, credentials):
        return _locked_out_json(request)
    state = take_state(request, SIGN_IN_STATE_KEY)
    if state is None:
        return _json_problem(EXPIRED, redirect_url=reverse("two_factor:verify"))
    verification = None
    answer = _answer(request)
    if answer is not None:
        verification = two_factor_security_key_check(
            actor=Actor.from_request(request),
            user=user,
            ceremony=ceremony_for(request),
            state=state,
            answer=answer,
        )
    if verification is not None:
        otp_login(request, verification.device)
        return JsonResponse({"redirect_url": _next_url(request)})
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    if getattr(request, "axes_locked_out", False):
        return _locked_out_json(request)
    return _json_problem(
        "Your security key was not accepted. Try again with the key you added to "
        "OpenMASH, or enter a code."
    )


@requires("two_factor.use_own")
@never_cache
@require_http_methods(["GET", "POST"])
def security_key_remove_view(request: HttpRequest, key_id: int) -> HttpResponse:
    """Removing one of one's own security keys, after a confirmation page."""
    user = cast(User, request.user)
    key = two_factor_security_key(user=user, key_id=key_id)
    if key is None:
        raise Http404
    if request.method == "POST":
        two_factor_security_key_remove(actor=Actor.from_request(request), user=user, key_id=key.pk)
        messages.success(request, f"Your security key or passkey, {key.name}, has been removed.")
        return redirect("two_factor:manage")
    others = len(two_factor_security_keys(user=user)) - 1
    apps = len(two_factor_authenticator_apps(user=user))
    return render(
        request,
        "two_factor/security_key_remove.html",
        {
            "key": key,
            "last_factor": not others and not apps,
            # django-otp's verification of this session rests on the device it used.
            "signed_in_with_it": getattr(user, "otp_device", None) == key,
        },
    )
