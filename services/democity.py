"""The demo city as a ``make demo`` step: build it, load it, simulate its detections.

Idempotent: each part already in the database is skipped, so a second
``make demo`` passes through in seconds.
"""

from __future__ import annotations

from typing import Callable

DEMO_STEP = (10, "demo city: districts, hexes, cameras, incidents, detections")

#: The demo's seed and size (the brief's "5,000 cameras now", plus the scenario cameras).
DEMO_SEED = 7
DEMO_CAMERAS = 5200


def demo_step(context, echo: Callable[[str], None]) -> None:
    """Load the demo city and its 48 hours of detections into the configured database."""
    from geodata.democity import build_city, scenarios
    from geodata.democity.load import load_city, load_detections

    url = context.database_url()
    city = build_city(seed=DEMO_SEED, n_cameras=DEMO_CAMERAS)
    load_city(url, city, progress=lambda line: echo(f"  {line}"))
    accepted = load_detections(url, city, scenarios.DEMO_START, scenarios.DEMO_END)
    if accepted:
        echo(f"  detections: {accepted} events ingested (2026-10-01 00:00 to 2026-10-03 00:00 HKT)")
    else:
        echo("  detections: present, skipped")
