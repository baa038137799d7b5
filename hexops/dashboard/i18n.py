"""English and Traditional Chinese: which language a request is answered in, and the message catalogue.

Flask-Babel translates with the catalogue in ``dashboard/translations``
(``zh_Hant/LC_MESSAGES/messages.po``, compiled to ``.mo`` by
``scripts/compile_translations.sh``, which ``make`` runs).  The language of
a request is, first match wins:

1. ``?lang=en`` or ``?lang=zh-Hant`` on the request (a link; it is also
   remembered in the session for the rest of the visit),
2. the language remembered in the session,
3. the signed-in user's own setting (``users.language``, chosen with the
   header's language buttons and kept across sign-ins),
4. the browser's ``Accept-Language``,
5. English.

Strings are marked with :func:`_` (``gettext``) where they are rendered,
so a page laid out per request speaks the request's language; strings made
at import time (page names) are marked with :func:`N_` and translated where
shown.  ``pybabel extract`` finds both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, request, session
from flask_babel import Babel, get_locale, gettext

#: The languages offered: (BCP 47 tag used in URLs and ``lang``, Babel locale, name in that language).
LANGUAGES = (("en", "en", "English"), ("zh-Hant", "zh_Hant", "\u7e41\u9ad4\u4e2d\u6587"))
TAGS = tuple(tag for tag, _, _ in LANGUAGES)
_LOCALE_OF = {tag: locale for tag, locale, _ in LANGUAGES}
_TAG_OF = {locale: tag for tag, locale, _ in LANGUAGES}
#: The message catalogue (``<locale>/LC_MESSAGES/messages.po`` and its compiled ``.mo``).
CATALOGUE_DIR = Path(__file__).parent / "translations"
#: Session keys: the chosen language, and whose setting it came from.
SESSION_LANG = "lang"
SESSION_LANG_USER = "lang_user"


def N_(text: str) -> str:
    """Mark ``text`` for the catalogue where it is defined; :func:`_` translates it where it is shown."""
    return text


def _(text: str, **values: Any) -> str:
    """``text`` in the request's language, with ``{name}`` placeholders filled from ``values``."""
    translated = gettext(text) if text else text
    return translated.format(**values) if values else translated


def tag_from(value: Any) -> str | None:
    """A supported language tag from ``?lang=`` or a stored setting (case-insensitive; ``zh_Hant`` too)."""
    if not isinstance(value, str) or len(value) > 20:
        return None
    wanted = value.strip().replace("_", "-").lower()
    return next((tag for tag in TAGS if tag.lower() == wanted), None)


def current_tag() -> str:
    """The request's language as a BCP 47 tag (``en``, ``zh-Hant``) for ``<html lang>``."""
    locale = get_locale()
    return _TAG_OF.get(str(locale), "en") if locale is not None else "en"


def _user_language() -> str | None:
    """The signed-in user's stored setting, read once per session and per user."""
    from hexops.dashboard import access
    from hexops.dashboard.context import app_context
    from hexops.services import preferences

    user = access.current_user()
    if user is None or user.via_token:
        return None
    if session.get(SESSION_LANG_USER) != user.username:
        session[SESSION_LANG_USER] = user.username
        session.pop(SESSION_LANG, None)
        stored = preferences.language(app_context().uow(), user.username)
        if stored:
            session[SESSION_LANG] = stored
    return session.get(SESSION_LANG)


def select_locale() -> str:
    """Flask-Babel's locale selector (the order in the module docstring)."""
    asked = tag_from(request.args.get("lang"))
    if asked:
        return _LOCALE_OF[asked]
    try:
        chosen = tag_from(_user_language()) or tag_from(session.get(SESSION_LANG))
    except Exception:  # noqa: BLE001  the database is away: the page still renders, in a default language
        chosen = tag_from(session.get(SESSION_LANG))
    if chosen:
        return _LOCALE_OF[chosen]
    best = request.accept_languages.best_match(["en", "zh-Hant", "zh-TW", "zh-HK", "zh"])
    return "zh_Hant" if best and best.startswith("zh") else "en"


def _remember_asked_language() -> None:
    asked = tag_from(request.args.get("lang"))
    if asked and session.get(SESSION_LANG) != asked:
        session[SESSION_LANG] = asked


def install(server: Flask) -> None:
    """Flask-Babel on ``server`` with the package's catalogue; ``?lang=`` remembered per session."""
    Babel(server, locale_selector=select_locale, default_locale="en",
          default_translation_directories=str(CATALOGUE_DIR))
    server.before_request(_remember_asked_language)


def error_text(error: Exception) -> str:
    """A refusal's sentence in the request's language (its field is shown beside it, so it is left out)."""
    template = getattr(error, "template", None)
    if template:
        return _(template, **getattr(error, "values", {}))
    message = getattr(error, "message", None) or str(error)
    field = getattr(error, "field", None)
    if field and message.startswith(f"{field}: "):
        message = message[len(field) + 2:]
    return message[:1].upper() + message[1:] if message else message
