"""CallerGate: one caller's queries are bounded, others' are not (hexops.dashboard.busy)."""

from __future__ import annotations

import threading

import pytest

from hexops.dashboard.busy import Busy, CallerGate


def test_a_caller_over_its_bound_is_refused_and_others_still_enter():
    gate = CallerGate(2)
    with gate.enter("dsd"), gate.enter("dsd"):
        with pytest.raises(Busy) as refused:
            with gate.enter("dsd"):
                pass
        assert refused.value.status == 429
        with gate.enter("commander"):
            pass
    with gate.enter("dsd"):  # places come back when the blocks end, also after an error
        pass
    with pytest.raises(RuntimeError):
        with gate.enter("dsd"):
            raise RuntimeError("query failed")
    with gate.enter("dsd"), gate.enter("dsd"):
        pass


def test_many_threads_never_hold_more_than_the_bound():
    gate, held, peak, lock = CallerGate(3), [0], [0], threading.Lock()
    start = threading.Barrier(12)

    def worker():
        start.wait()
        for _ in range(200):
            try:
                with gate.enter("partner"):
                    with lock:
                        held[0] += 1
                        peak[0] = max(peak[0], held[0])
                    with lock:
                        held[0] -= 1
            except Busy:
                pass

    threads = [threading.Thread(target=worker) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 1 <= peak[0] <= 3 and held[0] == 0

