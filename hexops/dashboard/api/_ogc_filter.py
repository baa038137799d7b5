"""The filtering parameters of items requests: ``filter``/``filter-lang``/``filter-crs``, ``sortby``, ``properties``.

``filter`` is parsed by pygeofilter (CQL2 text, the default, or CQL2 JSON);
what a parsed filter may name and how it becomes SQL is decided over the
reader's queryables by :func:`services.sharing.compiled`. Every failure is
a :class:`ParameterError` naming the parameter.

``filter-lang=cql-text`` (the draft name GDAL 3.6 sends) is read with the
CQL2 text parser: the subset GDAL writes -- comparisons, AND/OR/NOT, LIKE,
IS NULL, quoted times -- means the same in both.
"""

from __future__ import annotations

import json
import re

from lark.exceptions import LarkError
from pygeofilter.parsers.cql2_json import parse as parse_cql2_json
from pygeofilter.parsers.cql2_text import parse as parse_cql2_text

from hexops.dashboard.api._ogc_params import ParameterError

FILTER_LANGUAGES = ("cql2-text", "cql2-json", "cql-text")
#: Longest filter accepted, in characters (a filter is a query, not a payload).
MAX_FILTER_CHARS = 8_000
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _boxes_as_polygons(node):
    """CQL2 JSON ``{"bbox": [...]}`` literals as GeoJSON polygons.

    pygeofilter 0.4 builds ``Envelope(*bbox)`` from them, whose fields are
    ``(x1, x2, y1, y2)``, so ``[minx, miny, maxx, maxy]`` would land crosswise;
    a polygon says the same box unambiguously.
    """
    if isinstance(node, list):
        return [_boxes_as_polygons(item) for item in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"bbox"} and isinstance(node["bbox"], list) and len(node["bbox"]) in (4, 6):
        box = node["bbox"]
        half = len(box) // 2
        x1, y1, x2, y2 = box[0], box[1], box[half], box[half + 1]
        return {"type": "Polygon", "coordinates": [[[x1, y1], [x2, y1], [x2, y2], [x1, y2], [x1, y1]]]}
    return {key: _boxes_as_polygons(value) for key, value in node.items()}


def parse_filter(text: str | None, language: str | None):
    """The parsed ``filter`` (a pygeofilter AST), or None when absent."""
    if language not in (None, "") and language not in FILTER_LANGUAGES:
        raise ParameterError(f"filter-lang: {language!r} is not one of {', '.join(FILTER_LANGUAGES)}")
    if text is None or text == "":
        if language not in (None, ""):
            raise ParameterError("filter-lang: given without a filter")
        return None
    if len(text) > MAX_FILTER_CHARS:
        raise ParameterError(f"filter: longer than {MAX_FILTER_CHARS} characters")
    try:
        if language == "cql2-json":
            return parse_cql2_json(_boxes_as_polygons(json.loads(text)))
        return parse_cql2_text(text)
    except RecursionError:
        raise ParameterError("filter: nested too deeply") from None
    except (LarkError, ValueError, TypeError, KeyError, IndexError, AttributeError, NotImplementedError,
            OverflowError) as exc:
        # The parser's own words for where it failed; whatever it raises on bad input is the client's 400.
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        lang = language or "cql2-text"
        raise ParameterError(f"filter: not valid {lang}: {first_line[:200]}") from None


def parse_sortby(text: str | None) -> tuple[tuple[str, bool], ...]:
    """``sortby=name,-other`` (``+`` or nothing: ascending; ``-``: descending) as ``(name, descending)``."""
    if text is None or text == "":
        return ()
    keys = []
    for part in text.split(","):
        part = part.strip()
        descending = part.startswith("-")
        name = part[1:] if part[:1] in "+-" and part else part
        if not _NAME.match(name):
            raise ParameterError(f"sortby: {part!r} is not a property name (optionally signed + or -)")
        if name in {k for k, _ in keys}:
            raise ParameterError(f"sortby: {name!r} given twice")
        keys.append((name, descending))
    if len(keys) > 8:
        raise ParameterError("sortby: at most 8 keys")
    return tuple(keys)


def parse_properties(text: str | None, offered: dict[str, str]) -> tuple[str, ...] | None:
    """``properties=a,b``: which published properties each feature keeps (None: all of them)."""
    if text is None:
        return None
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in offered]
    if unknown:
        raise ParameterError(f"properties: {', '.join(unknown)} not among this collection's properties "
                             f"({', '.join(offered)})")
    return names
