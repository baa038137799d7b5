"""The live demo's broker answers only with its password (an outside probe read and forged detections on it)."""

from __future__ import annotations

import asyncio
import socket
import stat
import subprocess
from pathlib import Path

import nats
import pytest

from hexops.cli.demo import NATS_USER, nats_config
from tests.fixtures.ingest import NATS_SERVER, wait_for_jetstream


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _try(url: str) -> bool:
    try:
        nc = await nats.connect(servers=[url], connect_timeout=2, max_reconnect_attempts=0, allow_reconnect=False)
    except Exception:  # noqa: BLE001  refused, for whatever reason nats-py gives
        return False
    await nc.close()
    return True


@pytest.mark.timeout(60)
def test_the_demo_broker_refuses_a_client_without_its_password_and_keeps_its_config_private(tmp_path):
    if not Path(NATS_SERVER).exists():
        pytest.skip(f"{NATS_SERVER} is not installed (Debian package nats-server)")
    port = _free_port()
    config = nats_config(tmp_path / "nats", port, "s3cret-for-test")
    assert stat.S_IMODE(config.stat().st_mode) == 0o600 and stat.S_IMODE(config.parent.stat().st_mode) == 0o700
    server = subprocess.Popen([NATS_SERVER, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        good = f"nats://{NATS_USER}:s3cret-for-test@127.0.0.1:{port}"
        wait_for_jetstream([good])
        assert asyncio.run(_try(good))
        assert not asyncio.run(_try(f"nats://127.0.0.1:{port}"))
        assert not asyncio.run(_try(f"nats://{NATS_USER}:guess@127.0.0.1:{port}"))
    finally:
        server.terminate()
        server.wait(timeout=10)
