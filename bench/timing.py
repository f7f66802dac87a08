"""How the benchmarks time a job: :func:`timed`, and the paired rounds of a peer's entry.

Every entry runs its job once untimed (to load or compile what it needs), then its timed
rounds. The entries of a group run one after another, minutes apart, on a machine whose other load
comes and goes: between two report runs at one commit, the ratio of two such medians moved
by a third. So a peer's entry that is given fastmlp's entries for its job (``ours``, entry
name to ``(train, prepare)``) times one run of each of them just before each of its own
rounds. Both sides then see the same load, and the median of the round-by-round ratios,
peer ÷ fastmlp, decides the targets (``bench/report.py``).

A short run that follows other work is slower than the same run repeated: fastmlp's
float32 two-moons fit took 6.77 ms right after JAX's run, 6.72 ms after an idle pause as
long, and 6.00 ms right after another of its own fits. The other entries' rounds run back
to back, so each side whose run is shorter than :data:`WARM_BELOW` runs once, untimed,
just before each of its timed runs.
"""

import time

import numpy as np

#: A side whose run is shorter than this (seconds) is timed warm in the paired rounds.
WARM_BELOW = 0.2


def timed(benchmark, train, rounds, prepare=tuple, ours=None):
    """Time ``train(*prepare())`` over ``rounds`` rounds, ``prepare`` untimed; returns the
    last round's result. With ``ours``, a peer's rounds alternate with fastmlp's
    (:func:`timed_pairs`). With timing disabled (the test run), one run checks the result.
    """
    if benchmark.disabled:
        return benchmark.pedantic(train, setup=lambda: (prepare(), {}), rounds=1)
    if ours:
        return timed_pairs(benchmark, train, rounds, prepare, ours)
    train(*prepare())
    return benchmark.pedantic(train, setup=lambda: (prepare(), {}), rounds=rounds, iterations=1)


def seconds(train, prepare):
    """Seconds taken by ``train(*prepare())``, ``prepare`` untimed, and its result."""
    prepared = prepare()
    began = time.perf_counter()
    result = train(*prepared)
    return time.perf_counter() - began, result


class Side:
    """One side of the paired rounds: its job, whether it runs warm, and its times."""

    def __init__(self, train, prepare):
        self.train, self.prepare = train, prepare
        self.train(*prepare())  # loads or compiles what the job needs
        self.warm = seconds(train, prepare)[0] < WARM_BELOW
        self.times = []

    def timed_run(self):
        if self.warm:
            self.train(*self.prepare())
        took, result = seconds(self.train, self.prepare)
        self.times.append(took)
        return result


def timed_pairs(benchmark, train, rounds, prepare, ours):
    """Time ``train(*prepare())`` over ``rounds`` rounds, each preceded by one timed run of
    every job in ``ours`` (fastmlp's entry name: ``(train, prepare)``), in that order;
    returns the last round's result. The benchmark's median is the peer's own, and
    ``benchmark.extra_info["paired"]`` maps each of ``ours`` to fastmlp's median
    (``fastmlp_seconds``), the peer's (``peer_seconds``) and the median of the rounds'
    ratios peer ÷ fastmlp (``ratio``). Only for a benchmark with timing enabled.
    """
    peer = Side(train, prepare)
    sides = {name: Side(*job) for name, job in ours.items()}

    def setup():
        for side in sides.values():
            side.timed_run()
        if peer.warm:
            train(*prepare())
        return prepare(), {}

    def timed_train(*prepared):
        began = time.perf_counter()
        result = train(*prepared)
        peer.times.append(time.perf_counter() - began)
        return result

    result = benchmark.pedantic(timed_train, setup=setup, rounds=rounds, iterations=1)
    benchmark.extra_info["paired"] = {name: pairing(side.times, peer.times)
                                      for name, side in sides.items()}
    return result


def pairing(fastmlp_times, peer_times):
    """fastmlp's and the peer's medians over the same rounds, and the median ratio."""
    ours, theirs = np.array(fastmlp_times), np.array(peer_times)
    return {"fastmlp_seconds": float(np.median(ours)), "peer_seconds": float(np.median(theirs)),
            "ratio": float(np.median(theirs / ours))}
