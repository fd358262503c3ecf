"""A user's API tokens are all revoked when their password changes, whatever the path.

One hook on the user model's save catches every path: the account page's password change,
Django's password-reset confirm, the admin's password form (usable or not), ``changepassword``,
and ``set_password()``/``set_unusable_password()`` followed by ``save()`` anywhere. A hasher
upgrade at log-in (Django re-hashes the same password) is not a change and keeps the tokens.
Not caught: ``QuerySet.update(password=...)``, which sends no signal (nothing here does that).
"""

from __future__ import annotations

from django.db.models.signals import post_save, pre_save
from django.utils import timezone

from choreography.accounts.models import ApiToken

CHANGED = "_choreo_password_changed"


def _password_changing(sender, instance, raw: bool = False, update_fields=None, **kwargs) -> None:
    """pre_save: note on the instance whether this save changes the stored password hash."""
    setattr(instance, CHANGED, False)
    if raw or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and "password" not in update_fields:
        return
    if getattr(instance, "_password", None) is not None:  # set_password() was called
        setattr(instance, CHANGED, True)
        return
    if update_fields is not None and set(update_fields) == {"password"}:
        return  # check_password()'s hasher upgrade: the same password, re-hashed
    stored = (
        sender._default_manager.filter(pk=instance.pk).values_list("password", flat=True).first()
    )
    setattr(instance, CHANGED, stored is not None and stored != instance.password)


def _revoke_tokens_after_password_change(sender, instance, created: bool, **kwargs) -> None:
    """post_save: once the new password is stored, no token issued before it works."""
    if created or not getattr(instance, CHANGED, False):
        return
    setattr(instance, CHANGED, False)
    ApiToken.objects.filter(user=instance, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def connect(user_model) -> None:
    pre_save.connect(_password_changing, sender=user_model, dispatch_uid="choreo-password-pre")
    post_save.connect(
        _revoke_tokens_after_password_change, sender=user_model, dispatch_uid="choreo-password"
    )
