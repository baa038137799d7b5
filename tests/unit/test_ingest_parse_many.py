"""Many gateway batches parsed in one columnar call give exactly what parsing them one by one gives."""

from __future__ import annotations

import datetime as dt

import orjson
import pandas as pd
import pandas.testing as pdt

from hexops.ingest.loadgen import StreamSpec, gateway_bodies, stream_frames, synthetic_cameras
from hexops.ingest.schema import parse_batch, parse_many


def _bodies(n_cameras: int = 300, batch_events: int = 40) -> list[bytes]:
    cameras = synthetic_cameras(n_cameras)
    frame = next(stream_frames(cameras, StreamSpec(dt.datetime(2026, 10, 1, tzinfo=dt.timezone.utc), 1, 1)))
    out = gateway_bodies(frame, cameras["owner_code"].to_numpy(), cameras["district"].to_numpy(),
                         batch_events=batch_events)
    return [body for _, body, _ in out]


def test_one_parse_of_many_batches_equals_parsing_each_and_keeps_body_order():
    bodies = _bodies()
    assert len(bodies) > 5
    one_by_one = pd.concat([parse_batch(b)[1] for b in bodies], ignore_index=True)
    pdt.assert_frame_equal(parse_many(bodies), one_by_one)


def test_a_single_deviating_batch_sends_the_caller_back_to_batch_by_batch_parsing():
    bodies = _bodies()
    batch = orjson.loads(bodies[3])
    batch["events"][0]["people"] = "12"  # a count sent as text: the per-batch path words the reason
    assert parse_many(bodies[:3] + [orjson.dumps(batch)] + bodies[4:]) is None


def test_another_schema_or_a_body_over_several_lines_is_not_parsed_in_bulk():
    bodies = _bodies()
    other = orjson.loads(bodies[0])
    other["schema"] = "hexops.detections/0"
    assert parse_many([orjson.dumps(other)] + bodies[1:]) is None
    assert parse_many([orjson.dumps(orjson.loads(bodies[0]), option=orjson.OPT_INDENT_2)] + bodies[1:]) is None
    assert parse_many([]) is None
