"""How a callback or API view reaches the composition root's context."""

from __future__ import annotations

from flask import current_app


def app_context():
    """The :class:`app.AppContext` the running server was built with."""
    return current_app.extensions["hexops"]
