from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "openmash.accounts"
    label = "accounts"
    verbose_name = "Agencies and users"

    def ready(self) -> None:
        # Audits each lockout (openmash/accounts/lockout.py); checks single sign-on's
        # settings (openmash/accounts/checks.py); records every sign-in and sign-out for
        # the person's list of their sessions (openmash/accounts/sessions.py).
        from openmash.accounts import checks, lockout, sessions  # noqa: F401
