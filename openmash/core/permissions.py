"""Access control that cannot be forgotten.

Every view is wrapped in `requires(permission)` or `public`; a test walks the
URL configuration and fails any view with neither. Permissions themselves are
django-rules predicates declared in each app's rules.py.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import rules
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from openmash.core.roles import Role

PUBLIC = "public"
View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def requires(permission: str) -> Callable[[View], View]:
    """Only users with `permission` may call the view; others are sent to sign in or get 403."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.user.has_perm(permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.openmash_permission = permission  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorate


def public(view: View) -> View:
    """Marks a view as deliberately open to everyone (e.g. the sign-in page)."""
    view.openmash_permission = PUBLIC  # type: ignore[attr-defined]
    return view


def has_role(role: Role) -> rules.Predicate:
    @rules.predicate(name=f"has_role:{role.value}")
    def predicate(user: Any) -> bool:
        return bool(getattr(user, "is_authenticated", False)) and user.has_role(role)

    return predicate


is_referrer = has_role(Role.REFERRER)
is_screener = has_role(Role.SCREENER)
is_mash_manager = has_role(Role.MASH_MANAGER)
is_agency_researcher = has_role(Role.AGENCY_RESEARCHER)
is_early_help_coordinator = has_role(Role.EARLY_HELP_COORDINATOR)
is_analyst = has_role(Role.ANALYST)
is_auditor = has_role(Role.AUDITOR)
is_information_governance = has_role(Role.INFORMATION_GOVERNANCE)
is_administrator = has_role(Role.ADMINISTRATOR)
is_signed_in = rules.is_authenticated & rules.is_active

# The MASH staff who see every contact and its research.
is_mash_decision_maker = is_screener | is_mash_manager
