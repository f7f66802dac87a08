"""How the benchmarks time a job: :func:`timed`, and the paired rounds of a peer's entry.

Every entry runs its job once untimed (to load or compile what it needs), then its timed
rounds, back to back. The entries of a group run one after another, minutes apart, on a
machine whose other load comes and goes: between two report runs at one commit, the ratio
of two such medians moved by a third. So a peer's entry that is given fastmlp's entries
for its job (``ours``, entry name to ``(train, prepare)``) times one run of each of them
just before each of its own rounds. Both sides then see the same load, and the median of
the round-by-round ratios, peer ÷ fastmlp, decides the targets (``bench/report.py``).

In those rounds, every side runs its job untimed for :data:`WARM_SECONDS` just before each
of its timed runs, so that a timed run follows runs of its own job, as in an entry's
back-to-back rounds, and not the other side's. A run pays for what came before it:

* the threads another library leaves spinning: right after scikit-learn's covertype fit
  (OpenBLAS on two threads), fastmlp's took 241 ms, against 173 ms right after one of its
  own fits and 174 ms after a half-second pause (medians of 5);
* caches and branch predictors filled by other work: fastmlp's float32 two-moons fit took
  6.77 ms right after JAX's run and 6.72 ms after an idle pause as long, against 6.00 ms
  right after one of its own fits.
"""

import time

import numpy as np


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


def timed_pairs(benchmark, train, rounds, prepare, ours):
    """Time ``train(*prepare())`` over ``rounds`` rounds, each preceded by one timed run of
    every job in ``ours`` (fastmlp's entry name: ``(train, prepare)``), in that order, and
    every timed run by untimed runs of the same job (:func:`warm_up`); returns the last
    round's result.

    The benchmark's median is the peer's own, and ``benchmark.extra_info["paired"]`` maps
    each of ``ours`` to fastmlp's median (``fastmlp_seconds``), the peer's
    (``peer_seconds``) and the median of the rounds' ratios peer ÷ fastmlp (``ratio``).
    Only for a benchmark with timing enabled.
    """
    peer_times, ours_times = [], {name: [] for name in ours}

    def setup():
        for name, (their_train, their_prepare) in ours.items():
            warm_up(their_train, their_prepare)
            prepared = their_prepare()
            began = time.perf_counter()
            their_train(*prepared)
            ours_times[name].append(time.perf_counter() - began)
        warm_up(train, prepare)
        return prepare(), {}

    def timed_train(*prepared):
        began = time.perf_counter()
        result = train(*prepared)
        peer_times.append(time.perf_counter() - began)
        return result

    result = benchmark.pedantic(timed_train, setup=setup, rounds=rounds, iterations=1)
    benchmark.extra_info["paired"] = {name: pairing(times, peer_times)
                                      for name, times in ours_times.items()}
    return result


#: Rounds of :func:`paired_calls`, and the seconds each side's timed batch of calls lasts.
CALL_ROUNDS, CALL_SECONDS = 9, 0.1
#: Seconds for which each side of a paired round runs its job untimed before its timed
#: run: longer than other libraries' idle threads spin (see the module docstring).
WARM_SECONDS = 0.3


def warm_up(train, prepare=tuple):
    """Run ``train(*prepare())`` untimed, again and again for :data:`WARM_SECONDS`."""
    began = time.perf_counter()
    train(*prepare())
    while time.perf_counter() - began < WARM_SECONDS:
        train(*prepare())


def per_call(call, n):
    """Mean seconds of ``n`` calls of ``call()``, made one after another."""
    began = time.perf_counter()
    for _ in range(n):
        call()
    return (time.perf_counter() - began) / n


def calls_lasting(call, seconds):
    """How many calls of ``call()`` take about ``seconds`` (at least one), from the mean of
    as many calls as take about 0.01 s."""
    probe = max(1, round(0.01 / per_call(call, 1)))
    return max(1, round(seconds / per_call(call, probe)))


def paired_calls(benchmark, call, ours, rounds=CALL_ROUNDS, seconds=CALL_SECONDS):
    """Pair a peer's entry timed by ``benchmark(call)`` with fastmlp's entries ``ours``
    (entry name: a call doing the same), for calls too short to time one per round
    (predictions of microseconds): in each of ``rounds`` rounds, every side makes calls
    untimed (:func:`warm_up`), then a timed batch of calls lasting about ``seconds``,
    fastmlp's sides first. ``benchmark.extra_info["paired"]`` gets per-call medians and the
    median of the rounds' ratios, as :func:`timed_pairs` records them. Only with timing
    enabled; the benchmark's own median stays that of ``benchmark(call)``.
    """
    sizes = {name: calls_lasting(function, seconds) for name, function in ours.items()}
    peer_size = calls_lasting(call, seconds)
    ours_times, peer_times = {name: [] for name in ours}, []
    for _ in range(rounds):
        for name, function in ours.items():
            warm_up(function)
            ours_times[name].append(per_call(function, sizes[name]))
        warm_up(call)
        peer_times.append(per_call(call, peer_size))
    benchmark.extra_info["paired"] = {name: pairing(times, peer_times)
                                      for name, times in ours_times.items()}


def pairing(fastmlp_times, peer_times):
    """fastmlp's and the peer's medians over the same rounds, and the median ratio."""
    ours, theirs = np.array(fastmlp_times), np.array(peer_times)
    return {"fastmlp_seconds": float(np.median(ours)), "peer_seconds": float(np.median(theirs)),
            "ratio": float(np.median(theirs / ours))}
