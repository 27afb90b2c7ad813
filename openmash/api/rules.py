from typing import Any

import rules

from openmash.accounts.models import ApiToken


@rules.predicate
def is_active_api_token(token: Any) -> bool:
    return isinstance(token, ApiToken) and token.is_active


rules.add_perm("api.submit_contact", is_active_api_token)
rules.add_perm("api.view_own_contact", is_active_api_token)
