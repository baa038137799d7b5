"""Rules for what partner departments receive: k-suppression and tile resolution.

Pure functions, no database.  The SQL twin of :func:`suppress` is
``hexops_k_suppress`` (migration 034); the shared-layer queries use that one,
and the tests check the two agree.
"""

from __future__ import annotations

import math

#: Counts of people or incidents below this are withheld from shared layers
#: (``HEXOPS_K_ANONYMITY``).
DEFAULT_K = 5

#: (highest zoom, H3 resolution).  A 256-px tile's pixel is ~70 m at zoom 11
#: and ~9 m at zoom 14 at Hong Kong's latitude, so a res-8 edge (~460 m) is
#: ~7 px at zoom 11, res 9 (~175 m) 5-10 px at zooms 12-13 and res 10
#: (~66 m) 7 px and more from zoom 14: hexagons stay visible, never noise.
_ZOOM_RESOLUTION: tuple[tuple[int, int], ...] = ((11, 8), (13, 9))
MAX_RESOLUTION = 10


def suppress(value: float | None, k: int) -> float | None:
    """A count as published: rounded to a whole number, or None when below ``k``.

    Halves round to even, as Python's ``round`` and PostgreSQL's
    ``round(double precision)`` both do, so the SQL twin agrees exactly.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    whole = float(round(value))
    return None if whole < k else whole


def share_props(props: dict, suppressed: tuple[str, ...], k: int,
                camera_fields: tuple[tuple[str, float | None], ...] = ()) -> dict:
    """A record's properties as a reader may see them (the twin of ``hexops_share_props``).

    Camera fields are removed (step None) or rounded to their step; then, if
    any suppressed count is withheld by :func:`suppress`, all of them are,
    and ``suppressed`` says whether that happened.
    """
    result = dict(props)
    for name, step in camera_fields:
        if step is None or name not in result:
            result.pop(name, None)
        elif result[name] is not None:
            result[name] = float(round(float(result[name]) / step)) * step
    if not suppressed:
        return result
    published = {name: suppress(None if result.get(name) is None else float(result[name]), k) for name in suppressed}
    withheld = any(value is None for value in published.values())
    result.update({name: None if withheld else value for name, value in published.items()})
    result["suppressed"] = withheld
    return result


def resolution_for_zoom(zoom: int) -> int:
    """H3 resolution (8, 9 or 10) drawn in a web-mercator tile of ``zoom`` (0..24)."""
    if not 0 <= zoom <= 24:
        raise ValueError(f"zoom: {zoom} is outside 0..24")
    for highest_zoom, resolution in _ZOOM_RESOLUTION:
        if zoom <= highest_zoom:
            return resolution
    return MAX_RESOLUTION
