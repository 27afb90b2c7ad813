"""Single sign-on with OpenID Connect (issue 14, docs/adr/0023-single-sign-on.md).

An area whose staff sign in to their own identity provider (Microsoft Entra ID, or any
OpenID Connect provider) lets them sign in to OpenMASH with it. mozilla-django-oidc runs
the protocol (state, nonce, PKCE, the id token's signature); this package adds what it
does not do: the provider's endpoints from its discovery document, the id token's issuer
and audience, and who a person is in OpenMASH (matched by a claim or provisioned, agency
and roles from their groups at every sign-in).

- config: the settings, the discovery document, and groups to agency and roles (no
  database);
- backend: the authentication backend Django's authenticate() calls;
- views: the sign-in start, the provider's callback and the pages for a refusal.
"""

# The session key two-factor sign-in reads: a session whose value is "sso" was signed in
# by the provider, which (with settings.OIDC_IDP_ENFORCES_MFA) asked for a second factor.
SIGNED_IN_WITH_SESSION_KEY = "openmash_signed_in_with"
SIGNED_IN_WITH_SSO = "sso"
