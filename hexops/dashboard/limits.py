"""How often one address may try to sign in (Flask-Limiter, in process memory).

Every sign-in attempt costs an argon2 check and an audit row: an outside
probe's 16 parallel guests (92 checks in 20 s) slowed every signed-in user to
1-2.5 s. Lock-out protects an account; this protects the server from one
address trying many. Counted per web process (a reverse proxy limits volume
across them); over the limit the answer is 429 with ``Retry-After``.
"""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

#: The view whose POSTs are counted (the sign-in form's target).
SIGN_IN_ENDPOINT = "auth.login"


def install(server: Flask, sign_ins_per_minute: int) -> Limiter:
    """Limit POSTs to the sign-in route to ``sign_ins_per_minute`` per client address."""
    server.config["RATELIMIT_HEADERS_ENABLED"] = True
    limiter = Limiter(get_remote_address, app=server, storage_uri="memory://", default_limits=[])
    view = server.view_functions[SIGN_IN_ENDPOINT]
    # The limited wrapper keeps the view's access declaration (functools.wraps copies it).
    server.view_functions[SIGN_IN_ENDPOINT] = limiter.limit(f"{sign_ins_per_minute} per minute",
                                                            methods=["POST"])(view)
    return limiter
