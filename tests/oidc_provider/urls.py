from django.contrib.auth import views as auth_views
from django.urls import include, path

from tests.oidc_provider import control

urlpatterns = [
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("login/", auth_views.LoginView.as_view(template_name="registration/login.html")),
    path("control/reset/", control.reset),
    path("control/client/", control.client),
    path("control/user/", control.user),
    path("control/jwks-of-another-key/", control.jwks_of_another_key),
]
