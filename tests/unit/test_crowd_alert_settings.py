"""Crowd alert thresholds and timing come from configuration, and a bad value names its variable."""

import pytest

from hexops.analytics.crowd import DEFAULT_THRESHOLDS
from hexops.services.crowd import alert_settings
from hexops.settings import Settings


def _settings(**env: str) -> Settings:
    return Settings.from_env(env)


def test_without_configuration_the_thresholds_are_two_four_and_five_and_a_half_people_per_m2():
    configured = alert_settings(_settings())
    assert configured.thresholds == DEFAULT_THRESHOLDS == (2.0, 4.0, 5.5)
    assert configured.config.clear_after_min == 10.0


def test_configured_thresholds_are_sorted_and_timing_is_read_in_minutes():
    configured = alert_settings(_settings(HEXOPS_CROWD_THRESHOLDS="5, 1.5,3",
                                          HEXOPS_CROWD_CLEAR_AFTER_MIN="20", HEXOPS_CROWD_HORIZON_MIN="15"))
    assert configured.thresholds == (1.5, 3.0, 5.0)
    assert (configured.config.clear_after_min, configured.config.horizon_min) == (20.0, 15.0)


@pytest.mark.parametrize("name, value", [
    ("HEXOPS_CROWD_THRESHOLDS", "two,four"),
    ("HEXOPS_CROWD_THRESHOLDS", "0,4"),
    ("HEXOPS_CROWD_THRESHOLDS", ""),
    ("HEXOPS_CROWD_CLEAR_AFTER_MIN", "-5"),
    ("HEXOPS_CROWD_HORIZON_MIN", "soon"),
])
def test_an_unusable_value_is_refused_naming_its_variable(name, value):
    with pytest.raises(ValueError, match=name):
        alert_settings(_settings(**{name: value}))
