"""A person's own settings: the language the pages speak to them.

The setting is the person's own, so changing it is not an administrative
act; it is still recorded (``user.language``) like every change to an account.
"""

from __future__ import annotations

from hexops.errors import InputError

#: The languages the message catalogue has (BCP 47 tags, as in ``<html lang>``).
LANGUAGES = ("en", "zh-Hant")


def language(uow, username: str) -> str | None:
    """``username``'s page language, or None to follow the browser."""
    with uow:
        return uow.accounts.user_language(username)


def set_language(uow, username: str, tag: str | None, *, actor: str) -> None:
    """Store ``username``'s page language (one of :data:`LANGUAGES`, or None); audited as ``user.language``."""
    if tag is not None and tag not in LANGUAGES:
        raise InputError(f"lang: must be one of {', '.join(LANGUAGES)}", field="lang")
    with uow:
        if not uow.accounts.set_user_language(username, tag):
            raise InputError(f"username: no user {username!r}", field="username")
        uow.audit.record(actor=actor, action="user.language", target=username, details={"language": tag})
        uow.commit()
