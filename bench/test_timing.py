"""The paired rounds of ``timing.timed``, on a clock the jobs advance themselves: the order
in which the sides run, which runs are timed, and the medians and ratios recorded."""

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


def test_each_timed_run_follows_an_untimed_run_of_its_own_job(clock):
    log = []
    peer = job("peer", [3.0, 6.0, 3.0, 9.0, 3.0, 9.0], clock, log)
    ours = {"a": job("a", [0.5, 1.0, 0.5, 2.0, 0.5, 3.0], clock, log),
            "b": job("b", [0.125], clock, log)}
    benchmark = Benchmark()
    assert timing.timed(benchmark, peer[0], 3, peer[1], ours) == 6  # the peer's 6th run
    # Each side runs untimed for timing.WARM_SECONDS (0.3 s: one run of a or of the peer,
    # three of b), then once timed.
    assert log == (["a", "a"] + ["b"] * 4 + ["peer", "peer"]) * 3
    paired = benchmark.extra_info["paired"]
    assert set(paired) == {"a", "b"}
    # Only the second run of each pair is timed: a's took 1, 2, 3 s, the peer's 6, 9, 9 s,
    # so the rounds' ratios are 6, 4.5 and 3.
    assert paired["a"] == {"fastmlp_seconds": 2.0, "peer_seconds": 9.0, "ratio": 4.5}
    assert paired["b"] == {"fastmlp_seconds": 0.125, "peer_seconds": 9.0, "ratio": 72.0}


def test_paired_calls_time_batches_of_calls_after_untimed_batches(clock):
    log = []
    fastmlp_call = job("a", [2.0**-10], clock, log)[0]
    peer_call = job("peer", [2.0**-8], clock, log)[0]
    benchmark = Benchmark()
    timing.paired_calls(benchmark, peer_call, {"a": fastmlp_call}, rounds=2, seconds=0.1)
    runs = [name for i, name in enumerate(log) if i == 0 or log[i - 1] != name]
    assert runs == ["a", "peer"] * 3  # sizing the batches, then two rounds
    # Sizing: 1 call, then 10 (about 0.01 s), giving batches of 102 calls of a (0.1 s) and
    # 26 of the peer; each round, 308 and 77 untimed calls (0.3 s) before the batch.
    assert log.count("a") == 1 + 10 + 2 * (308 + 102)
    assert log.count("peer") == 1 + 3 + 2 * (77 + 26)
    assert benchmark.extra_info["paired"] == {"a": {"fastmlp_seconds": 2.0**-10,
                                                    "peer_seconds": 2.0**-8, "ratio": 4.0}}


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
