"""Crowd estimates from camera counts: ground shares, densities, bands, trends and alerts.

Public surface::

    ground_shares, to_hk1980, GroundShares            (calibration, once per layout)
    camera_densities, region_estimates, level_of_service,
    trend_slopes, minutes_to_thresholds, BandConfig    (every refresh)
    step_alerts, AlertConfig                           (alert state machine)
    CrowdLayout, crowd_snapshot                        (a whole city per refresh)
"""

from hexops.analytics.crowd.alerts import AlertConfig, AlertStep, step_alerts
from hexops.analytics.crowd.calibration import GroundShares, ground_shares, to_hk1980
from hexops.analytics.crowd.live import CrowdLayout, crowd_snapshot
from hexops.analytics.crowd.density import (
    DEFAULT_THRESHOLDS,
    FRUIN_LEVELS,
    FRUIN_WALKWAY_BOUNDS,
    BandConfig,
    camera_densities,
    level_of_service,
    minutes_to_thresholds,
    region_estimates,
    trend_slopes,
)

__all__ = [
    "AlertConfig", "AlertStep", "step_alerts", "GroundShares", "ground_shares", "to_hk1980",
    "DEFAULT_THRESHOLDS", "FRUIN_LEVELS", "FRUIN_WALKWAY_BOUNDS", "BandConfig", "camera_densities",
    "level_of_service", "minutes_to_thresholds", "region_estimates", "trend_slopes",
    "CrowdLayout", "crowd_snapshot",
]
