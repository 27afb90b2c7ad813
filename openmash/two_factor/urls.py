from django.urls import path

from openmash.two_factor import views

app_name = "two_factor"
urlpatterns = [
    path("", views.manage_view, name="manage"),
    path("verify/", views.verify_view, name="verify"),
    path("set-up/", views.set_up_view, name="set-up"),
    path("recovery-codes/", views.recovery_codes_view, name="recovery-codes"),
    path("users/<int:user_id>/reset/", views.reset_view, name="reset"),
    path("exemptions/", views.exemptions_view, name="exemptions"),
    path("security-keys/add/", views.security_key_add_view, name="security-key-add"),
    path(
        "security-keys/add/use/",
        views.security_key_register_view,
        name="security-key-register",
    ),
    path(
        "security-keys/add/begin/",
        views.security_key_register_begin_view,
        name="security-key-register-begin",
    ),
    path(
        "security-keys/add/complete/",
        views.security_key_register_complete_view,
        name="security-key-register-complete",
    ),
    path(
        "security-keys/sign-in/begin/",
        views.security_key_sign_in_begin_view,
        name="security-key-sign-in-begin",
    ),
    path(
        "security-keys/sign-in/complete/",
        views.security_key_sign_in_complete_view,
        name="security-key-sign-in-complete",
    ),
    path(
        "security-keys/<int:key_id>/remove/",
        views.security_key_remove_view,
        name="security-key-remove",
    ),
]
