"""``POST /settings/language``: the header's language buttons.

The choice is kept in the session at once; for a person signed in with a
password it is also stored as their own setting (audited
``user.language``), so it follows them to their next sign-in.  Guests may
choose too (the sign-in page speaks both languages).  Like the sign-in
form, a post from another site's page is refused.
"""

from __future__ import annotations

from flask import Blueprint, redirect, request, session

from hexops.dashboard import access, errors, i18n
from hexops.dashboard.api.auth import cross_site, safe_next
from hexops.dashboard.context import app_context
from hexops.services import preferences

blueprint = Blueprint("preferences", __name__)


@blueprint.route("/settings/language", methods=["POST"])
@access.public
def choose_language():
    if cross_site():
        return errors.error_response(403, "language form posted from another site")
    tag = i18n.tag_from(request.form.get("lang"))
    if tag is None:
        return errors.error_response(400, f"lang: must be one of {', '.join(i18n.TAGS)}", "lang")
    user = access.current_user()
    if user is not None and not user.via_token:
        preferences.set_language(app_context().uow(), user.username, tag, actor=user.username)
        session[i18n.SESSION_LANG_USER] = user.username
    session[i18n.SESSION_LANG] = tag
    return redirect(safe_next(request.form.get("next")) or "/", code=303)
