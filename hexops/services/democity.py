"""The demo city as a ``make demo`` step: build it, load it, simulate its detections.

Idempotent: each part already in the database is skipped, so a second
``make demo`` passes through in seconds.  The city's size and seed come from
the settings (``HEXOPS_DEMO_CAMERAS``, ``HEXOPS_DEMO_SEED``; ``hexops demo
--cameras N``, ``make demo CAMERAS=N``); the same seed and size give the same
city and the same detections.
"""

from __future__ import annotations

from typing import Callable

from hexops.geodata.uow import UnitOfWork

DEMO_STEP = (10, "demo city: districts, hexes, cameras, incidents, detections")

#: The demo's seed and size (about 5,000 cameras now, plus the 80 scenario cameras).
DEMO_SEED = 7
DEMO_CAMERAS = 5200


def load_demo_city(uow: UnitOfWork, echo: Callable[[str], None], *, full: bool = False,
                   seed: int = DEMO_SEED, n_cameras: int = DEMO_CAMERAS, show_progress: bool = False) -> int:
    """Load the demo city and its detections.

    Parameters
    ----------
    uow : UnitOfWork
        Every part and every chunk of detections is committed in it on its own.
    echo : callable
        Receives one progress line per part.
    full : bool
        Detections for the whole 48-hour demo window (2026-10-01 00:00 to
        2026-10-03 00:00 HKT) rather than the two scenario windows only.
    seed, n_cameras : int
        The city (see :func:`hexops.democity.build_city`); any size above the
        80 scenario cameras, loaded in bounded chunks.
    show_progress : bool
        A progress bar per window of detections.

    Returns
    -------
    int
        Detection events ingested now.
    """
    from hexops.democity import build_city, scenarios
    from hexops.democity.load import load_city, load_detections

    city = build_city(seed=seed, n_cameras=n_cameras)
    echo(f"  city: {len(city.cameras)} cameras (seed {seed})")
    load_city(uow, city, progress=lambda line: echo(f"  {line}"))
    windows = ((scenarios.DEMO_START, scenarios.DEMO_END),) if full else scenarios.SCENARIO_WINDOWS
    accepted = sum(load_detections(uow, city, start, end, show_progress=show_progress) for start, end in windows)
    span = "the 48-hour demo window" if full else "the fireworks evening and the storm afternoon"
    echo(f"  detections: {accepted} events ingested for {span}" if accepted else "  detections: present, skipped")
    return accepted


def demo_step(context, echo: Callable[[str], None]) -> None:
    """``make demo``'s step 10: the demo city (settings' size and seed) with its scenario detections."""
    load_demo_city(context.uow(), echo, seed=context.settings.demo_seed, n_cameras=context.settings.demo_cameras,
                   show_progress=True)
