"""One rule for e-mail addresses: at most one account per address (case ignored), and no
answer ever tells whether an address is known.

An address given at sign-up (API or page) is not stored at once: ``claim_email`` mails it a
confirmation link, or, when another account already has it, mails that account's owner a note
instead. The caller answers the same in both cases. ``confirm_email`` (the link) stores the
address if it is still free. ``email_in_use`` is the one check every path uses (the admin too).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from choreography.errors import InvalidRequestError

SALT = "choreography.accounts.emails.confirm"
CONFIRM_MAX_AGE_S = 3 * 24 * 3600
"""A confirmation link works for three days (as Django's password-reset links)."""
TAKEN = "this address belongs to another account"


def normalize(email: str) -> str:
    return get_user_model().objects.normalize_email((email or "").strip())


def email_in_use(email: str, *, exclude_pk=None) -> bool:
    """Whether another account (not ``exclude_pk``) has this address, case ignored."""
    email = normalize(email)
    if not email:
        return False
    users = get_user_model()._default_manager.filter(email__iexact=email)
    if exclude_pk is not None:
        users = users.exclude(pk=exclude_pk)
    return users.exists()


def confirm_path(user, email: str) -> str:
    token = signing.dumps({"u": user.pk, "e": email}, salt=SALT, compress=True)
    return f"/accounts/email/confirm/{token}/"


def claim_email(user, email: str, *, origin: str = "") -> None:
    """Mail ``email`` a link that makes it ``user``'s address; if another account has it, mail
    that account's owner instead (nothing is changed). Says nothing to the caller either way."""
    email = normalize(email)
    if not email:
        return
    origin = (origin or settings.CHOREO.public_url or "http://localhost").rstrip("/")
    owner = (
        get_user_model()._default_manager.filter(email__iexact=email).exclude(pk=user.pk).first()
    )
    if owner is not None:
        context = {"user": owner, "username": user.get_username(), "origin": origin}
        subject, body = "Someone used your address on choreo", "registration/email_taken.txt"
        to = owner.email
    else:
        context = {"user": user, "link": origin + confirm_path(user, email)}
        subject, body = "Confirm your e-mail address for choreo", "registration/email_confirm.txt"
        to = email
    send_mail(subject, render_to_string(body, context), None, [to])


def confirm_email(token: str):
    """Store the address of a confirmation link on its account; the user.

    InvalidRequestError when the link is forged, older than three days, or the address went to
    another account meanwhile (only the address's owner, who got the link, learns that).
    """
    try:
        data = signing.loads(token, salt=SALT, max_age=CONFIRM_MAX_AGE_S)
    except signing.BadSignature:
        raise InvalidRequestError("this confirmation link is not valid any more") from None
    user = get_user_model()._default_manager.filter(pk=data["u"]).first()
    if user is None:
        raise InvalidRequestError("this confirmation link is not valid any more")
    if email_in_use(data["e"], exclude_pk=user.pk):
        raise InvalidRequestError(TAKEN)
    user.email = data["e"]
    try:
        with transaction.atomic():
            user.save(update_fields=["email"])
    except IntegrityError:  # taken concurrently (the unique index on lower(email))
        raise InvalidRequestError(TAKEN) from None
    return user
