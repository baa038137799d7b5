"""The worker's minute buffer: what it holds, when it lets go, and the live preview's sums."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hexops.ingest.core import merge_prepared, prepare_events
from hexops.ingest.minutes import HeldGroup, MinuteBuffer
from hexops.ingest.known_cameras import CameraRegistry

T0 = dt.datetime(2026, 10, 1, 12, 0, tzinfo=dt.timezone.utc)
CAMERAS = ["CAM-A", "CAM-B", "CAM-C"]


def _registry(ids=CAMERAS, version: int = 1) -> CameraRegistry:
    n = len(ids)
    return CameraRegistry.from_frame(pd.DataFrame({
        "camera_id": ids, "owner_code": "HKPF", "district_code": "CW", "status": "active",
        "h3_r8": np.arange(n) + 8_000, "h3_r9": np.arange(n) + 9_000, "h3_r10": np.arange(n) + 10_000}), version)


def _events(second: int, people: dict[str, int], length_s: int = 1) -> pd.DataFrame:
    start = T0 + dt.timedelta(seconds=second)
    return pd.DataFrame({
        "event_id": [f"{c}@{second}" for c in people], "camera_id": list(people),
        "window_start": start.isoformat(), "window_end": (start + dt.timedelta(seconds=length_s)).isoformat(),
        "people": list(people.values()), "vehicles": 0, "water_state": "dry", "water_confidence": 0.9,
        "saturated": False, "model_name": "m", "model_version": "1"})


def _group(frame: pd.DataFrame, registry: CameraRegistry, seqs: list[int], arrived: float = 0.0) -> HeldGroup:
    prepared = prepare_events(frame, registry, source="test", now=T0 + dt.timedelta(minutes=10))
    return HeldGroup(msgs=[object() for _ in seqs], prepared=prepared, arrived=arrived, seqs=seqs)


def test_groups_are_held_until_their_minute_is_over_by_the_latest_event_time_plus_grace():
    registry = _registry()
    buffer = MinuteBuffer(grace_s=5, hold_s=90)
    for second in range(0, 70):
        buffer.add(_group(_events(second, {"CAM-A": 1}), registry, [second]))
    # The events of 12:01:00-12:01:09 push the latest time to 12:01:10: minute 12:00 is over,
    # but not by the 5 s grace until 12:01:05, which has passed.
    taken = buffer.take_closable(now=1.0)
    assert sorted(g.seqs[0] for g in taken) == list(range(60))
    assert sorted(g.seqs[0] for g in buffer.groups) == list(range(60, 70))
    assert buffer.take_closable(now=1.0) == []


def test_a_group_held_longer_than_hold_s_is_let_go_whatever_the_event_times():
    buffer = MinuteBuffer(grace_s=5, hold_s=10)
    buffer.add(_group(_events(0, {"CAM-A": 1}), _registry(), [1], arrived=100.0))
    assert buffer.take_closable(now=105.0) == []
    assert len(buffer.take_closable(now=110.0)) == 1


def test_a_redelivered_message_is_recognised_and_its_newest_delivery_is_kept_for_the_ack():
    buffer = MinuteBuffer()
    group = _group(_events(0, {"CAM-A": 1}), _registry(), [41, 42])
    buffer.add(group)
    newer = object()
    assert buffer.known(42, newer) and group.msgs[1] is newer
    assert not buffer.known(43, object())
    buffer.release([group])
    assert not buffer.known(42, object())


def test_the_preview_holds_each_cameras_latest_minute_and_replaces_it_when_a_newer_one_starts():
    registry = _registry()
    buffer = MinuteBuffer(grace_s=5, hold_s=90)
    buffer.add(_group(_events(50, {"CAM-A": 4, "CAM-B": 2}), registry, [1]))
    buffer.add(_group(_events(51, {"CAM-A": 6}), registry, [2]))
    rows = buffer.preview.take_dirty().set_index("camera_id")
    assert rows.loc["CAM-A", "people_s"] == 10 and rows.loc["CAM-A", "covered_s"] == 2
    assert rows.loc["CAM-A", "water_conf_max"] == pytest.approx(0.9) and rows.loc["CAM-B", "people_s"] == 2
    assert rows.loc["CAM-A", "minute_s"] == int(T0.timestamp())
    buffer.add(_group(_events(61, {"CAM-A": 3}), registry, [3]))
    # A late event of the older minute does not go back into the preview.
    buffer.add(_group(_events(59, {"CAM-A": 100}), registry, [4]))
    rows = buffer.preview.take_dirty().set_index("camera_id")
    assert list(rows.index) == ["CAM-A"]
    assert rows.loc["CAM-A", "minute_s"] == int(T0.timestamp()) + 60 and rows.loc["CAM-A", "people_s"] == 3
    assert len(buffer.preview.take_dirty()) == 0


def test_events_that_may_be_written_at_once_stay_out_of_the_preview():
    registry = _registry()
    buffer = MinuteBuffer(grace_s=5, hold_s=90)
    buffer.add(_group(_events(300, {"CAM-A": 1}), registry, [1]))
    late = _group(_events(10, {"CAM-B": 7}), registry, [2])
    buffer.add(late)
    assert not late.previewed
    assert list(buffer.preview.take_dirty()["camera_id"]) == ["CAM-A"]


def test_a_camera_added_to_the_registry_gets_a_preview_slot_and_old_groups_keep_theirs():
    buffer = MinuteBuffer()
    buffer.add(_group(_events(0, {"CAM-A": 1}), _registry(), [1]))
    buffer.add(_group(_events(1, {"CAM-D": 2}), _registry(CAMERAS + ["CAM-D"], version=2), [2]))
    rows = buffer.preview.take_dirty().set_index("camera_id")
    assert rows.loc["CAM-A", "people_s"] == 1 and rows.loc["CAM-D", "people_s"] == 2


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 179), st.sampled_from(CAMERAS), st.integers(0, 50)),
                min_size=1, max_size=60),
       st.integers(1, 8))
def test_groups_merged_in_any_cut_count_every_event_once(events, cut):
    """Held groups merged for one transaction give the same camera-minute sums as one batch."""
    registry = _registry()
    frames = [_events(second, {camera: people}) for second, camera, people in events]
    whole = prepare_events(pd.concat(frames, ignore_index=True), registry, source="test",
                           now=T0 + dt.timedelta(minutes=10))
    parts = [prepare_events(pd.concat(frames[i:i + cut], ignore_index=True), registry, source="test",
                            now=T0 + dt.timedelta(minutes=10)) for i in range(0, len(frames), cut)]
    merged = merge_prepared(parts, registry, source="test")
    key = ["camera_id", "minute_s"]
    expected = whole.minute.sort_values(key).reset_index(drop=True)
    got = merged.minute.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(got[key + ["n_events", "people_s"]], expected[key + ["n_events", "people_s"]],
                                  check_dtype=False)
    assert merged.report.received == len(frames)
    assert (merged.report.outcomes == "duplicate").sum() == (whole.report.outcomes == "duplicate").sum()


def test_a_camera_that_left_the_registry_while_held_is_rejected_with_a_reason():
    old = _registry()
    held = prepare_events(_events(0, {"CAM-B": 3}), old, source="test", now=T0 + dt.timedelta(minutes=1))
    merged = merge_prepared([held], _registry(["CAM-A", "CAM-C"], version=2), source="test")
    assert merged.report.outcomes.tolist() == ["rejected"]
    assert merged.report.reasons[0].startswith("camera_id:")
    assert merged.minute is None


@pytest.mark.parametrize("hold_s", [0.0])
def test_hold_zero_lets_every_group_go_at_once_as_before_the_minute_buffer(hold_s):
    buffer = MinuteBuffer(grace_s=5, hold_s=hold_s)
    buffer.add(_group(_events(0, {"CAM-A": 1}), _registry(), [1], arrived=5.0))
    assert len(buffer.take_closable(now=5.0)) == 1
    assert len(buffer.preview.take_dirty()) == 0


def test_a_fetch_cut_by_minute_keeps_every_row_its_outcome_and_reason_once():
    registry = _registry()
    frame = pd.concat([_events(58, {"CAM-A": 1, "CAM-B": 2}), _events(61, {"CAM-A": 3, "CAM-Z": 4})],
                      ignore_index=True)
    prepared = prepare_events(frame, registry, source="test", now=T0 + dt.timedelta(minutes=5))
    parts = prepared.split(np.array([1, 1, 2, 2]))
    assert [p.report.received for p in parts.values()] == [2, 2]
    first, second = parts[1], parts[2]
    assert first.valid["pos"].tolist() == [0, 1] and second.valid["pos"].tolist() == [0]
    assert second.report.outcomes.tolist() == ["accepted", "rejected"]
    assert list(second.report.reasons) == [1] and second.report.reasons[1].startswith("camera_id:")
    assert [q[2] for q in second.quarantine_rows] == ["CAM-Z"] and first.quarantine_rows == []
    merged = merge_prepared([first, second], registry, source="test")
    assert merged.report.outcomes.tolist() == prepared.report.outcomes.tolist()
    assert merged.minute["people_s"].sum() == prepared.minute["people_s"].sum()


def test_a_minute_that_ends_the_stream_is_let_go_whole_when_its_first_group_has_waited_hold_s():
    registry = _registry()
    buffer = MinuteBuffer(grace_s=5, hold_s=10)
    for k, second in enumerate(range(60, 90)):
        buffer.add(_group(_events(second, {"CAM-A": 1}), registry, [second], arrived=100.0 + k))
    # No later event moves the minute's end past: only the first group's wait lets it go, with all the others.
    assert buffer.take_closable(now=109.0) == []
    assert len(buffer.take_closable(now=110.0)) == 30
