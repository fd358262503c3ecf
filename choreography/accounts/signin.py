"""One-time sign-in links (``/signin/<uid>/<token>/``): their own signer, short-lived, single use.

The token is HMAC(SECRET_KEY, own salt, user state, timestamp) like Django's password-reset token,
but under a different salt, so a password-reset token is refused here and a sign-in token is
refused by the reset form. The user state hashed in includes ``last_login``: signing in with the
link voids it. It expires after CHOREO_SIGNIN_LINK_TTL_S.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode


class SignInTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "choreography.accounts.signin.SignInTokenGenerator"

    def check_token(self, user, token) -> bool:
        """Valid for this user, unused, and younger than CHOREO_SIGNIN_LINK_TTL_S."""
        if not super().check_token(user, token):
            return False
        issued = base36_to_int(token.split("-")[0])
        return self._num_seconds(self._now()) - issued <= settings.CHOREO.signin_link_ttl_s


sign_in_tokens = SignInTokenGenerator()


def sign_in_path(user) -> str:
    """A one-time sign-in path: void once the user has signed in (last_login) or expired."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"/signin/{uid}/{sign_in_tokens.make_token(user)}/"
