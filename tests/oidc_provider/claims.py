"""The claims the test provider puts in its id tokens and userinfo, like Entra ID's."""

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator

from tests.oidc_provider.identities import oid_for


class GroupsClaimValidator(OAuth2Validator):
    # groups and oid with the openid scope, as Entra ID sends them in the id token.
    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "groups": "openid", "oid": "openid"}

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        user = request.user
        return {
            "email": user.email,
            "given_name": user.first_name,
            "family_name": user.last_name,
            "name": user.get_full_name(),
            "preferred_username": user.username,
            "oid": oid_for(user.username),
            "groups": sorted(user.groups.values_list("name", flat=True)),
        }
