"""The paired rounds of ``timing.timed``, on a clock the jobs advance themselves: the order
in which the sides run, which of them run warm, and the medians and ratios recorded."""

import pytest
import timing


class Clock:
    """Stands in for ``time.perf_counter``: each job moves it on by its own duration."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class Benchmark:
    """Stands in for pytest-benchmark's fixture: ``pedantic`` runs setup and target."""

    def __init__(self, disabled=False):
        self.disabled, self.extra_info = disabled, {}

    def pedantic(self, target, setup, rounds, iterations=1):
        assert iterations == 1
        for _ in range(1 if self.disabled else rounds):
            args, kwargs = setup()
            result = target(*args, **kwargs)
        return result


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(timing.time, "perf_counter", clock)
    return clock


def job(name, durations, clock, log):
    """``(train, prepare)`` of a job that takes ``durations[i]`` seconds on its i-th run,
    the last one from then on, and logs its name."""
    runs = []

    def train():
        log.append(name)
        clock.now += durations[min(len(runs), len(durations) - 1)]
        runs.append(name)
        return len(runs)

    return train, tuple


def test_each_peer_round_follows_a_timed_run_of_every_fastmlp_side(clock):
    log = []
    peer = job("peer", [3.0, 3.0, 6.0, 9.0], clock, log)
    ours = {"a": job("a", [1.0, 1.0, 1.0, 2.0, 3.0], clock, log),
            "b": job("b", [0.5], clock, log)}
    benchmark = Benchmark()
    assert timing.timed(benchmark, peer[0], 3, peer[1], ours) == 5  # the peer's 5th run
    # Two untimed runs each to load and to decide on warm runs (none: all >= 0.2 s),
    # then rounds of a, b, peer.
    assert log == ["peer"] * 2 + ["a"] * 2 + ["b"] * 2 + ["a", "b", "peer"] * 3
    paired = benchmark.extra_info["paired"]
    assert set(paired) == {"a", "b"}
    # a's timed runs took 1, 2, 3 s; the peer's 6, 9, 9 s: ratios 6, 4.5, 3.
    assert paired["a"] == {"fastmlp_seconds": 2.0, "peer_seconds": 9.0, "ratio": 4.5}
    assert paired["b"] == {"fastmlp_seconds": 0.5, "peer_seconds": 9.0, "ratio": 18.0}


def test_a_short_side_runs_once_untimed_before_each_timed_run(clock):
    log = []
    peer = job("peer", [0.1], clock, log)  # short: warm
    ours = {"a": job("a", [0.1, 0.1, 0.05], clock, log)}  # short: warm
    benchmark = Benchmark()
    timing.timed(benchmark, peer[0], 2, peer[1], ours)
    assert log == ["peer"] * 2 + ["a"] * 2 + ["a", "a", "peer", "peer"] * 2
    # Only the second of each pair was timed: a's at 0.05 s, the peer's at 0.1 s.
    assert benchmark.extra_info["paired"]["a"] == pytest.approx(
        {"fastmlp_seconds": 0.05, "peer_seconds": 0.1, "ratio": 2.0})


def test_unpaired_and_disabled_runs_time_the_job_alone(clock):
    log = []
    ours = {"a": job("a", [1.0], clock, log)}
    disabled = Benchmark(disabled=True)
    train, prepare = job("peer", [1.0], clock, log)
    assert timing.timed(disabled, train, 3, prepare, ours) == 1
    assert log == ["peer"] and "paired" not in disabled.extra_info
    log.clear()
    alone = Benchmark()
    train, prepare = job("peer", [1.0], clock, log)
    timing.timed(alone, train, 3, prepare)
    assert log == ["peer"] * 4 and "paired" not in alone.extra_info
