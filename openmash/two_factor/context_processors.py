from typing import cast

from django.http import HttpRequest

from openmash.accounts.models import User
from openmash.two_factor.middleware import session_verified, signed_in_with_sso
from openmash.two_factor.services import two_factor_required


def navigation_until_verified(request: HttpRequest) -> dict[str, object]:
    """No service navigation for someone who has given their password but not yet the
    second factor they must use: every link would only send them back to enter a code.
    After openmash.core.context_processors.navigation, whose lists this empties."""
    user = getattr(request, "user", None)
    if (
        user is None
        or not user.is_authenticated
        or session_verified(request)
        or not two_factor_required(
            user=cast(User, user), signed_in_with_sso=signed_in_with_sso(request)
        )
    ):
        return {}
    return {"service_groups": [], "sub_navigation": [], "sub_navigation_label": ""}
