from django.urls import path

from openmash.accounts import views
from openmash.accounts.sso import views as sso_views

app_name = "accounts"
urlpatterns = [
    path("sign-in/", views.sign_in_view, name="sign-in"),
    path("sign-out/", views.sign_out_view, name="sign-out"),
    path("", views.account_view, name="account"),
    path("password/", views.password_change_view, name="password-change"),
    path("password-reset/", views.password_reset_view, name="password-reset"),
    path("password-reset/sent/", views.password_reset_sent_view, name="password-reset-sent"),
    # The emailed link; the view moves the token into the session and shows the form at
    # .../set-password/ (gunicorn.conf.py and deploy/nginx keep the token out of logs).
    path(
        "reset/<uidb64>/<token>/",
        views.password_reset_confirm_view,
        name="password-reset-confirm",
    ),
    path("sessions/", views.sessions_view, name="sessions"),
    path(
        "sessions/sign-out-others/",
        views.sessions_end_others_view,
        name="sessions-end-others",
    ),
    path("sessions/<int:session_id>/sign-out/", views.session_end_view, name="session-end"),
    # Single sign-on (404 unless configured): the callback is the redirect URI registered
    # at the provider, https://<host>/accounts/sso/callback/.
    path("sso/start/", sso_views.sso_start_view, name="sso-start"),
    path("sso/callback/", sso_views.sso_callback_view, name="sso-callback"),
]
