"""The web layer: Dash pages per role and the HTTP API on the same Flask server.

``create_app(context)`` builds everything; nothing here touches the database
until a request arrives.  Pages live in ``dashboard/pages/<page>.py`` and
register themselves with ``dash.register_page``; API blueprints live in
``dashboard/api/<name>.py`` and expose ``blueprint`` -- both are discovered,
so a new page or route never edits a shared list.

Every page declares who may open it (see :mod:`dashboard.access`)::

    dash.register_page(__name__, path="/drainage", name="Drainage",
                       allowed_roles=["partner", "commander", "admin"],
                       id_prefix="drainage")

and every component id on it starts with ``id_prefix`` (``drainage-map``),
which is how callbacks are tied to their page's roles.

Pages are rendered by hexops's own router (:mod:`dashboard.router`), which
checks the page it renders; :mod:`dashboard.errors` turns every failure into
the right status, and :mod:`dashboard.headers` puts the security headers on
every response.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import dash
from flask import Flask

from hexops.dashboard import access, busy, cors, errors, headers, i18n, limits, router


def _register_blueprints(server: Flask) -> None:
    import hexops.dashboard.api as api_pkg

    for module_info in sorted(pkgutil.iter_modules(api_pkg.__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"hexops.dashboard.api.{module_info.name}")
        blueprint = getattr(module, "blueprint", None)
        if blueprint is not None:
            server.register_blueprint(blueprint)


def _set_page_language(app: dash.Dash) -> None:
    """Dash writes ``<html>`` without ``lang``: give every page load the request's language."""
    render = app.interpolate_index

    def interpolate_index(**parts):
        return render(**parts).replace("<html>", f'<html lang="{i18n.current_tag()}">', 1)

    app.interpolate_index = interpolate_index


def create_app(context) -> dash.Dash:
    """Build the Dash app (and its Flask server) around an :class:`app.AppContext`."""
    server = Flask("hexops")
    server.config["SECRET_KEY"] = context.settings.session_key()
    # Links the API builds (OGC API, TileJSON) come from the request's Host:
    # only the names this site answers to are accepted (400 otherwise).
    server.config["TRUSTED_HOSTS"] = context.settings.answered_hosts()
    busy.install(server, context.settings.shared_concurrency)
    server.config["SESSION_COOKIE_HTTPONLY"] = True
    server.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    server.extensions["hexops"] = context
    _register_blueprints(server)
    limits.install(server, context.settings.sign_ins_per_minute)
    app = dash.Dash(
        "hexops",
        server=server,
        use_pages=True,
        pages_folder=str(Path(__file__).parent / "pages"),
        assets_folder=str(Path(__file__).parent / "assets"),
        title="hexops",
        # Phones lay the page out at their own width (without this, at 980 px, zoomed out).
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
        suppress_callback_exceptions=True,
        serve_locally=True,
    )
    from hexops.dashboard.shell import layout

    app.layout = layout
    i18n.install(server)
    _set_page_language(app)
    router.register(app)
    errors.install(server)
    # CORS first: a preflight carries no credentials and must be answered before the access check.
    cors.install(server)
    access.install(server, app)
    # The policy allows exactly the inline scripts Dash writes into its index,
    # by hash.  Taken now (so this app owns the clientside scripts its pages
    # just registered) and again per response, because Dash adds one more
    # (its pages title updater) on the first request.
    app.csp_hashes()
    headers.install(server, lambda: headers.content_security_policy(app.csp_hashes(), context.settings.tile_url))
    return app
