from typing import Any

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_POST

from openmash.core.audit import Actor, audit_record
from openmash.core.forms import GovukFormMixin
from openmash.core.models import AuditAction
from openmash.core.permissions import public, requires


class SignInForm(GovukFormMixin, AuthenticationForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Username"
        self.fields["password"].widget = forms.PasswordInput(
            attrs={"autocomplete": "current-password"}
        )
        self.style_widgets()

    def full_clean(self) -> None:
        super().full_clean()
        self.mark_error_widgets()


class SignInView(auth_views.LoginView):
    template_name = "accounts/sign_in.html"
    form_class = SignInForm
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        audit_record(
            actor=Actor.from_request(self.request),
            action=AuditAction.SIGN_IN,
            object_type="user",
            object_id=self.request.user.pk,
        )
        return response


sign_in_view = public(SignInView.as_view())


@requires("core.view_home")
@require_POST
def sign_out_view(request: HttpRequest) -> HttpResponseBase:
    audit_record(
        actor=Actor.from_request(request),
        action=AuditAction.SIGN_OUT,
        object_type="user",
        object_id=request.user.pk,
    )
    return auth_views.LogoutView.as_view()(request)
