"""Accounts on the web page (the HTTP edge): sign-up, log-in and out, sign-in by link, password
change and reset through Django's auth views and forms, and the account page (preferences,
personal API tokens).

Log-in, sign-up and password-reset POSTs go through choreography.accounts.throttle; a throttled
attempt gets the form back with "Too many attempts; try again in N minutes" and status 429. A
completed password reset clears the account's log-in failures (its owner can get in again).
"""

from __future__ import annotations

import math

from asgiref.sync import async_to_sync
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import alogin, get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.generic import CreateView

from choreography.accounts import emails, services, throttle
from choreography.accounts.signin import sign_in_tokens
from choreography.api.pages import page_options
from choreography.api.request_context import client_address
from choreography.api.responses import absolute_url
from choreography.errors import InvalidRequestError, NotFoundError, TooManyAttemptsError
from choreography.studios.pages import account_section


async def signed_in_user(request: HttpRequest):
    """The dancer, also set as ``request.user`` so templates never query the database."""
    request.user = await request.auser()
    return request.user


def too_many_message(retry_after: int) -> str:
    minutes = max(1, math.ceil(retry_after / 60))
    return f"Too many attempts; try again in {minutes} minute{'s' if minutes != 1 else ''}."


def focus_first_error(form: forms.Form) -> None:
    """Move the keyboard focus (autofocus) to the first field with an error."""
    first = next((name for name in form.fields if name in form.errors), None)
    if first is None:
        return
    for field in form.fields.values():
        field.widget.attrs.pop("autofocus", None)
    form.fields[first].widget.attrs["autofocus"] = True


class FocusErrorMixin:
    def form_invalid(self, form):
        focus_first_error(form)
        return super().form_invalid(form)


class ThrottledFormMixin(FocusErrorMixin):
    """Counts a POST with the throttle before it is looked at; settles it as a failure or a
    success (an attempt that ends otherwise stays counted as a failure)."""

    throttle_scope: str
    throttle_field = "username"

    def throttle_key(self) -> str:
        return self.request.POST.get(self.throttle_field, "").strip().lower()

    def post(self, request, *args, **kwargs):
        self.object = None  # CreateView's context expects it
        try:
            self.attempt = async_to_sync(throttle.attempt)(
                scope=self.throttle_scope,
                address=client_address(request),
                account=self.throttle_key(),
            )
        except TooManyAttemptsError as exc:
            form_kwargs = self.get_form_kwargs()
            form_kwargs.pop("data", None)
            form_kwargs.pop("files", None)
            form = self.get_form_class()(**form_kwargs)  # unbound: the attempt is not checked
            context = self.get_context_data(form=form, throttled=too_many_message(exc.retry_after))
            response = self.render_to_response(context, status=429)
            response["Retry-After"] = str(exc.retry_after)
            return response
        return super().post(request, *args, **kwargs)

    def record_failure(self) -> None:
        async_to_sync(self.attempt.failed)()

    def record_success(self) -> None:
        async_to_sync(self.attempt.succeeded)()

    def form_invalid(self, form):
        self.record_failure()
        return super().form_invalid(form)


class SignupForm(UserCreationForm):
    """A taken address is not an error here: it must not tell whether an address is known."""

    email = forms.EmailField(
        required=True, help_text="Used only to send you a password-reset link."
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username",)

    def validate_password_for_user(self, user, password_field_name: str = "password1") -> None:
        """The password rules' errors go under the password, not its confirmation (Django
        puts them on password2: under the wrong field)."""
        super().validate_password_for_user(user, password_field_name=password_field_name)

    def save(self, commit: bool = True):
        """The account without its address: emails.claim_email mails the address first."""
        user = super().save(commit=False)
        user.email = ""
        if commit:
            user.save()
        return user


class SignupView(ThrottledFormMixin, CreateView):
    form_class = SignupForm
    template_name = "registration/signup.html"
    throttle_scope = "register"

    def get(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return HttpResponseRedirect("/")
        return super().get(request, *args, **kwargs)

    def form_valid(self, form):
        user = form.save()
        emails.claim_email(user, form.cleaned_data["email"], origin=absolute_url(""))
        self.record_success()
        login(self.request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            self.request,
            f"Welcome, {user.get_username()}! You are signed in. We sent a link to "
            f"{form.cleaned_data['email']} to confirm your address.",
        )
        return HttpResponseRedirect("/")


class LoginView(ThrottledFormMixin, auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True
    throttle_scope = "login"

    def form_valid(self, form):
        self.record_success()
        return super().form_valid(form)


class PasswordResetView(ThrottledFormMixin, auth_views.PasswordResetView):
    """Every request counts as an attempt: whether the address is known is never revealed."""

    template_name = "registration/password_reset.html"
    email_template_name = "registration/reset_email_body.txt"
    subject_template_name = "registration/reset_email_subject.txt"
    success_url = reverse_lazy("password_reset_done")
    throttle_scope = "password_reset"
    throttle_field = "email"

    def form_valid(self, form):
        self.record_failure()
        return super().form_valid(form)


class LogoutView(auth_views.LogoutView):
    """Log out (POST only, Django 5) and say so on the front door it lands on."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You are signed out. See you on the dance floor!")
        return response


logout = LogoutView.as_view()


class PasswordChangeView(FocusErrorMixin, auth_views.PasswordChangeView):
    template_name = "registration/password_change.html"


class PasswordResetConfirmView(FocusErrorMixin, auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_new.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        async_to_sync(throttle.clear_account)(self.user.get_username())
        return response


@require_GET
def confirm_email(request: HttpRequest, token: str) -> HttpResponse:
    """The link mailed at sign-up: the address becomes the account's, if it is still free."""
    try:
        user = emails.confirm_email(token)
    except InvalidRequestError as exc:
        context = {"problem": exc.message}
        return render(request, "registration/email_confirmed.html", context, status=400)
    context = {"email": user.email, "username": user.get_username()}
    return render(request, "registration/email_confirmed.html", context)


password_change = PasswordChangeView.as_view()
password_change_done = auth_views.PasswordChangeDoneView.as_view(
    template_name="registration/password_changed.html"
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="registration/password_reset_sent.html"
)
password_reset_confirm = PasswordResetConfirmView.as_view()
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="registration/password_reset_finished.html"
)
signup = SignupView.as_view()
login_view = LoginView.as_view()
password_reset = PasswordResetView.as_view()


# --- The account page ----------------------------------------------------------------------


def _choices(values: list[str]) -> list[tuple[str, str]]:
    return [(value, value) for value in values]


class PreferencesForm(forms.Form):
    display_name = forms.CharField(max_length=100, required=False)
    difficulty = forms.ChoiceField(label="Default difficulty")
    energy_level = forms.ChoiceField(label="Default energy")
    style = forms.ChoiceField(label="Default style", required=False)
    auto_save = forms.BooleanField(
        label="Save my videos automatically",
        required=False,
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        options = page_options()
        self.fields["difficulty"].choices = _choices(options["difficulties"])
        self.fields["energy_level"].choices = _choices(options["energy_levels"])
        self.fields["style"].choices = [("", "any"), *_choices(options["styles"])]

    def values(self) -> dict:
        return {**self.cleaned_data, "style": self.cleaned_data["style"] or None}


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What the token is for, such as “laptop script”."
    )


async def _account_page(
    request: HttpRequest,
    user,
    *,
    preferences_form: PreferencesForm | None = None,
    token_form: TokenForm | None = None,
    new_token: str = "",
    status: int = 200,
) -> HttpResponse:
    if preferences_form is None:
        prefs = await services.get_preferences(user)
        preferences_form = PreferencesForm(
            initial={**prefs.__dict__, "style": prefs.style or ""}, prefix="prefs"
        )
    context = {
        "preferences_form": preferences_form,
        "token_form": token_form or TokenForm(prefix="token"),
        "tokens": await services.list_tokens(user),
        "new_token": new_token,
        "username": user.get_username(),
        "token_max_days": settings.CHOREO.token_max_days,
        "instructor": await account_section(user),
    }
    return render(request, "choreography/account.html", context, status=status)


@login_required
@require_GET
async def account(request: HttpRequest) -> HttpResponse:
    return await _account_page(request, await signed_in_user(request))


@login_required
@require_POST
async def save_preferences(request: HttpRequest) -> HttpResponse:
    user = await signed_in_user(request)
    form = PreferencesForm(request.POST, prefix="prefs")
    if not form.is_valid():
        focus_first_error(form)
    else:
        try:
            await services.update_preferences(user, **form.values())
        except InvalidRequestError as exc:
            form.add_error(None, f"{exc.message}: {exc.details}" if exc.details else exc.message)
        else:
            messages.success(request, "Your preferences are saved.")
            return HttpResponseRedirect("/accounts/")
    return await _account_page(request, user, preferences_form=form, status=400)


@login_required
@require_POST
async def create_token(request: HttpRequest) -> HttpResponse:
    user = await signed_in_user(request)
    form = TokenForm(request.POST, prefix="token")
    if not form.is_valid():
        focus_first_error(form)
        return await _account_page(request, user, token_form=form, status=400)
    token, _ = await services.create_personal_token(user, name=form.cleaned_data["name"])
    return await _account_page(request, user, new_token=token, status=201)


@login_required
@require_http_methods(["GET", "POST"])
async def revoke_token(request: HttpRequest, prefix: str) -> HttpResponse:
    """GET asks for confirmation; POST revokes. Only the signed-in dancer's own tokens."""
    user = await signed_in_user(request)
    tokens = {token.prefix: token for token in await services.list_tokens(user)}
    if request.method == "GET":
        if prefix not in tokens:
            messages.error(request, "There is no such token on your account.")
            return HttpResponseRedirect("/accounts/")
        return render(request, "choreography/revoke_token.html", {"token": tokens[prefix]})
    try:
        if prefix not in tokens:
            raise NotFoundError("no such token", details=prefix)
        await services.revoke_token(user, prefix=prefix)
    except NotFoundError:
        messages.error(request, "There is no such token on your account.")
    else:
        messages.success(request, f"The token {prefix}… is revoked; it no longer works.")
    return HttpResponseRedirect("/accounts/")


@require_GET
async def sign_in(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """A link from ``signin_link``/``serve`` signs its user in; a password-reset token does not."""
    try:
        pk = force_str(urlsafe_base64_decode(uidb64))
        user = await get_user_model().objects.aget(pk=pk)
    except (ValueError, TypeError, OverflowError, get_user_model().DoesNotExist):
        user = None
    if user is None or not sign_in_tokens.check_token(user, token):
        return render(request, "choreography/signed_out.html", {"invalid_link": True}, status=403)
    await alogin(request, user)
    return HttpResponseRedirect("/")
