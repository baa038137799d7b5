"""Which registered page a URL path names, and what its layout is called with.

One function, :func:`resolve`, answers "which page is this path?" for every
place that needs it: the access check of a full page load, the page router
that renders a page on client-side navigation, and the redirect after
signing in.  Because the check and the rendering ask the same function,
they cannot disagree about which page a path means (the hole of issue 10:
the check and Dash's own router read different inputs).

Pages come from ``dash.page_registry`` (Dash's public registry, filled by
``dash.register_page``); only its documented keys are read: ``path``,
``path_template``, ``layout``, ``title`` and hexops's own ``allowed_roles``,
``layers`` and ``id_prefix``.

The rules are deliberately narrow; anything else is "no page" (404):

- a path is ``/`` followed by segments separated by single slashes, with at
  most one trailing slash (``/admin/`` is ``/admin``; ``//admin`` and
  ``/admin//`` are no page);
- matching is exact and case-sensitive (``/ADMIN`` is no page);
- no control characters or backslashes; at most :data:`MAX_PATH_CHARS`
  characters (percent escapes are compared as they arrive: Flask has
  decoded them in ``request.path``, the browser has not in ``pathname``, and
  either way the page checked is the page rendered);
- a ``path_template`` such as ``/plans/<plan_id>`` matches one non-empty
  segment per variable.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import parse_qsl

import dash

#: Longest path or query string considered (a browser sends far less).
MAX_PATH_CHARS = 2048
#: Most query parameters passed on to a layout.
MAX_QUERY_PARAMS = 20
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_VARIABLE = re.compile(r"^<([A-Za-z_][A-Za-z0-9_]*)>$")


@dataclass(frozen=True)
class Resolved:
    """A page and the values of its path template's variables."""

    page: dict
    variables: dict[str, str] = field(default_factory=dict)


def _segments(path: str) -> list[str] | None:
    """The segments of a well-formed path (``[]`` for ``/``), or None."""
    if not isinstance(path, str) or len(path) > MAX_PATH_CHARS or not path.startswith("/"):
        return None
    if _CONTROL.search(path) or "\\" in path:
        return None
    body = path[1:]
    if body.endswith("/"):
        body = body[:-1]
    if body == "":
        return [] if path == "/" else None
    parts = body.split("/")
    return None if any(part == "" for part in parts) else parts


def _template_match(template: str, parts: list[str]) -> dict[str, str] | None:
    pattern = template.strip("/").split("/") if template.strip("/") else []
    if len(pattern) != len(parts):
        return None
    variables: dict[str, str] = {}
    for want, got in zip(pattern, parts):
        variable = _VARIABLE.match(want)
        if variable:
            variables[variable.group(1)] = got
        elif want != got:
            return None
    return variables


def resolve(path: str) -> Resolved | None:
    """The registered page ``path`` names, or None (no such page: 404).

    Parameters
    ----------
    path : str
        A URL path as the browser or Flask reports it (``request.path`` or
        ``dcc.Location.pathname``), without the query string.
    """
    parts = _segments(path)
    if parts is None:
        return None
    pages = list(dash.page_registry.values())
    for page in pages:
        if not page.get("path_template") and _segments(page.get("path", "")) == parts:
            return Resolved(page)
    for page in pages:
        template = page.get("path_template")
        if template:
            variables = _template_match(template, parts)
            if variables is not None:
                return Resolved(page, variables)
    return None


def query_arguments(search: str | None) -> dict[str, str]:
    """A location's ``?a=1&b=2`` as ``{"a": "1", "b": "2"}``.

    Only the first value of a repeated key is kept and every value is text, so
    a layout never receives a list where it expects a string; parameters
    beyond :data:`MAX_QUERY_PARAMS` and keys that are not identifiers are
    dropped.
    """
    if not isinstance(search, str) or not search.startswith("?") or len(search) > MAX_PATH_CHARS:
        return {}
    arguments: dict[str, str] = {}
    for key, value in parse_qsl(search[1:], keep_blank_values=True):
        if key.isidentifier() and key not in arguments and not _CONTROL.search(value):
            arguments[key] = value
        if len(arguments) >= MAX_QUERY_PARAMS:
            break
    return arguments


def layout_arguments(layout: Callable[..., Any], variables: dict[str, str], query: dict[str, str]) -> dict:
    """The keyword arguments to call a page's ``layout`` with.

    Path variables win over query parameters of the same name (``?plan_id=``
    cannot replace the plan in ``/plans/<plan_id>``), and only parameters the
    layout accepts are passed.
    """
    merged = {**query, **variables}
    try:
        parameters = inspect.signature(layout).parameters.values()
    except (TypeError, ValueError):
        return {}
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return merged
    names = {p.name for p in parameters if p.kind in (inspect.Parameter.KEYWORD_ONLY,
                                                       inspect.Parameter.POSITIONAL_OR_KEYWORD)}
    return {k: v for k, v in merged.items() if k in names}


def render(resolved: Resolved, query: dict[str, str]) -> Any:
    """The page's layout (a component tree), built with its arguments."""
    layout = resolved.page.get("layout")
    if callable(layout):
        return layout(**layout_arguments(layout, resolved.variables, query))
    return layout


def title(resolved: Resolved) -> str:
    """The page's title for the browser tab."""
    value = resolved.page.get("title") or resolved.page.get("name") or "hexops"
    if callable(value):
        value = value(**resolved.variables)
    return str(value)
