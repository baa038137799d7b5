"""A live stream (MJPEG over HTTP on loopback, through OpenCV's FFmpeg backend) is sampled by the
receiving clock: the same code path as an RTSP camera, without needing an RTSP server."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import pytest

from hexops.ingest.video.analyse import FrameAnalyser
from hexops.ingest.video.pipeline import analyse_video
from hexops.ingest.video.reader import VideoSource, is_stream
from hexops.ingest.video.synthetic import street_frame
from tests.unit.test_video_analysis import FakeDetector

FRAMES, FPS = 30, 10


class _Camera(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
        self.end_headers()
        for t in range(FRAMES):
            jpeg = cv2.imencode(".jpg", street_frame(t, people=2))[1].tobytes()
            self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(jpeg)
                             + jpeg + b"\r\n")
            time.sleep(1 / FPS)

    def log_message(self, *_args) -> None:
        pass


@pytest.fixture
def camera_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Camera)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/stream.mjpg"
    server.shutdown()
    server.server_close()


def test_a_stream_is_sampled_by_the_receiving_clock_not_frame_by_frame(camera_url):
    assert is_stream(camera_url)
    before = datetime.now(timezone.utc)
    with VideoSource(camera_url) as video:
        assert video.frame_count is None
        samples = list(video.frames(rate_hz=2.0))
        opened = video.start
    after = datetime.now(timezone.utc)
    assert 2 <= len(samples) < FRAMES
    assert all(before <= s.at <= after for s in samples)
    # At most one sample per half-second slot of the receiving clock.
    slots = [int((s.at - opened).total_seconds() / 0.5) for s in samples]
    assert slots == sorted(set(slots))


def test_a_stream_becomes_events_like_a_file(camera_url):
    events = analyse_video(camera_url, "CAM-1", FrameAnalyser(FakeDetector(4)), rate_hz=2.0, window_s=60)
    assert 1 <= len(events) <= 2 and set(events["people"]) == {4}
    assert (events["window_end"] > events["window_start"]).all()
