"""A real OpenID Connect provider for the tests: django-oauth-toolkit with OpenID Connect
on, as a small Django project of its own, run in a separate process on 127.0.0.1 by
tests/oidc_provider/fixtures.py.

It stands in for an area's Microsoft Entra ID: its own users (Django's auth.User in its
own SQLite database, never OpenMASH's), each in groups whose names its id tokens carry in
a "groups" claim, with email, names, preferred_username and an Entra-style "oid". The
tests reach it only through HTTP, as OpenMASH reaches a real provider: discovery, JWKS,
authorize, token, userinfo and RP-initiated logout. A control API (/control/..., with a
bearer token only the test process knows) sets up its client and users.
"""
