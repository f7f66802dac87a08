"""Compiling fastmlp's kernels ahead of use, and telling compiling from loading.

Numba compiles each kernel the first time it is called on a machine, then keeps the
machine code in its disk cache, from which every later process loads it in a fraction of
a second. :func:`compile` (also the command ``fastmlp compile``) compiles every loop and
every step kernel (see :mod:`fastmlp._kernels.calls`), in several processes at once, so
that a Docker image, a CI job or a classroom can fill the cache once, up front.

:class:`CompileWatch` reports whether a block of code compiled kernels or loaded them;
the command line uses it to say "compiling ..." before it waits, and what happened after.
The library itself stays quiet.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context

import numpy as np
from numba.core import event

from . import _validation as check

#: The message printed the moment a kernel starts compiling.
COMPILING_MESSAGE = "compiling fastmlp's kernels for this machine (once)..."


class CompileWatch(event.Listener):
    """Within a ``with`` block, the time Numba spent compiling fastmlp's kernels.

    Kernels found in the disk cache are loaded without compiling, so a block that only
    loads reports ``compiled == 0``.

    Parameters
    ----------
    on_first_compile : callable or None
        Called (with no argument) when the first kernel starts compiling, before any
        compile time is spent: the place to tell a user that a wait is coming.

    Attributes
    ----------
    compiled : int
        Kernels compiled at the top level (those called from Python).
    compile_seconds : float
        Wall time of those compilations, the kernels they call included.
    names : list of str
        Their function names, in order.
    seconds : float
        Wall time of the whole block.
    """

    def __init__(self, on_first_compile: Callable[[], None] | None = None) -> None:
        self.on_first_compile = on_first_compile
        self.compiled = 0
        self.compile_seconds = 0.0
        self.names: list[str] = []
        self.seconds = 0.0
        self._depth = 0
        self._started = 0.0

    def on_start(self, ev) -> None:
        if self._depth == 0:
            if self.compiled == 0 and self.on_first_compile is not None:
                self.on_first_compile()
            self.names.append(ev.data["dispatcher"].py_func.__name__)
            self._started = time.perf_counter()
        self._depth += 1

    def on_end(self, ev) -> None:
        self._depth -= 1
        if self._depth == 0:
            self.compiled += 1
            self.compile_seconds += time.perf_counter() - self._started

    def __enter__(self) -> CompileWatch:
        self._block_started = time.perf_counter()
        event.register("numba:compile", self)
        return self

    def __exit__(self, *exc_info) -> None:
        event.unregister("numba:compile", self)
        self.seconds = time.perf_counter() - self._block_started

    def summary(self, what: str = "kernels") -> str:
        """One line: compiled (and in how long) or loaded from the disk cache."""
        if self.compiled:
            return (f"{what} compiled for this machine in {self.compile_seconds:.1f} s "
                    "(kept in Numba's disk cache: later runs load them)")
        return f"{what} loaded from Numba's disk cache in {self.seconds:.2f} s"


# ---------------------------------------------------------------- the paths to compile
def _run_jobs(jobs: dict) -> None:
    """Run compile jobs (:meth:`fastmlp.MLP.compile_jobs`). Every path compiles without
    running a kernel, so that the kernels shipped for a target (:mod:`fastmlp._prebuilt`)
    can be built on a machine that cannot run them."""
    for job in jobs.values():
        job()


def _loops(dtype: str) -> None:
    """The loops in one thread: the training loop, the batch driver (also behind
    ``loss``, ``gradients``, L-BFGS and the validation scores) and inference, through
    :meth:`fastmlp.MLP.compile_jobs`. Every head, activation, optimizer, sparse input and
    dropout runs these same loops: they differ only in the steps."""
    from .model import MLP

    net = MLP([3, 4, 2], activation="tanh", loss="cross_entropy", dtype=dtype)
    _run_jobs(net.compile_jobs(40, 16))


def _threaded_loops(dtype: str) -> None:
    """The training loop and the threaded batch driver, for a batch large enough to
    split across threads (small layers, many samples)."""
    from .model import MLP

    net = MLP([2, 2, 1], activation="tanh", dtype=dtype)
    _run_jobs(net.compile_jobs(2 * net.workspace(np.zeros((1, 2)))["min_group"] + 1))


def step_kernels():
    """Every step kernel the loops may call, as ``(kernel, kind)`` pairs, read from the
    kernels' own tables: the products (loops and BLAS), each activation's forward map,
    derivative and backpropagation through it, each head's loss and output, the optional
    steps (sparse input, dropout) and each optimizer's update."""
    from ._kernels import activations, calls, heads, network, optim

    for _, _, kind, loops, in_blas in network.PRODUCT_STEPS:
        yield loops, kind
        yield in_blas, kind
    for forward_map, derivative, through in activations.STEPS.values():
        if forward_map is not None:
            yield forward_map, calls.ACTIVATE
            yield derivative, calls.DERIVATIVE
        yield through, calls.BACKPROPAGATE_THROUGH
    for loss, output in heads.STEPS.values():
        yield loss, calls.LOSS_AND_DELTA
        if output is not None:
            yield output, calls.APPLY_OUTPUT
    for option in network.OPTIONAL_STEPS.values():
        for _, kind, kernel in option:
            yield kernel, kind
    for update in optim.UPDATES:
        yield update, calls.OPTIMIZER_STEP


def _steps(dtype: str) -> None:
    """Every step kernel (:func:`step_kernels`)."""
    from ._kernels import calls

    for kernel, kind in step_kernels():
        calls.address(kernel, kind, dtype)


def _playground(dtype: str) -> None:
    """What ``Playground.run`` compiles (the Playground trains in float64)."""
    from .playground import Playground

    _run_jobs(Playground("circle", hidden=(2,), seed=0).compile_jobs())


@dataclass(frozen=True)
class _Path:
    name: str
    warm: Callable[[str], None]
    dtypes: tuple[str, ...]
    needs_threads: bool = False


PATHS = (
    _Path("loops", _loops, ("float64", "float32")),
    _Path("steps", _steps, ("float64", "float32")),
    _Path("Playground", _playground, ("float64",)),
    _Path("threaded loops", _threaded_loops, ("float64", "float32"), True),
)


def _run_path(index: int, dtype: str) -> tuple[int, float]:
    """In a worker process: warm one path; kernels compiled and seconds spent."""
    with CompileWatch() as watch:
        PATHS[index].warm(dtype)
    return watch.compiled, watch.seconds


def compile_shared(jobs_of: Callable[..., dict], *args,
                   on_first_compile: Callable[[], None] | None = None) -> None:
    """Run the compile jobs ``jobs_of(*args)`` (``{key: function}``, see
    :meth:`fastmlp.MLP.compile_jobs`) in this process and, as soon as one of them turns
    out to compile rather than load, in a helper process on another core as well.

    Both processes take the next job from one shared counter, so each kernel is compiled
    once, by whichever process is free; this one then waits for the helper, whose kernels
    it loads from the disk cache when it needs them. With everything in the cache, this
    only loads the kernels, and no helper starts. ``jobs_of`` must be importable by name
    (the helper is a fresh interpreter that builds the same jobs). If the helper fails,
    the kernels it did not finish are compiled here when they are first needed.

    Parameters
    ----------
    on_first_compile : callable or None
        Called (no arguments) before the first compile, as by :class:`CompileWatch`.
    """
    context = get_context("spawn")
    taken = context.Value("i", 0)
    helpers = []

    def start_helper():
        if on_first_compile is not None:
            on_first_compile()
        if (os.cpu_count() or 1) > 1:
            helper = context.Process(target=_take_jobs_quietly, args=(jobs_of, args, taken),
                                     daemon=True)
            helper.start()
            helpers.append(helper)

    with CompileWatch(on_first_compile=start_helper):
        _take_jobs(jobs_of(*args), taken)
    for helper in helpers:
        helper.join()


def _take_jobs(jobs, taken) -> None:
    """Run the next job not yet taken by any process sharing ``taken``, until none is left."""
    jobs = list(jobs.values())
    while True:
        with taken.get_lock():
            index = taken.value
            taken.value += 1
        if index >= len(jobs):
            return
        jobs[index]()


def _take_jobs_quietly(jobs_of, args, taken) -> None:
    """:func:`_take_jobs` in a helper process: a head start only (see
    :func:`compile_shared`), so a failure is not reported here."""
    try:
        _take_jobs(jobs_of(*args), taken)
    except Exception:  # the process that started this one compiles what is missing
        pass


def compile(dtypes: Sequence[str] = ("float64", "float32"), processes: int | None = None,
            progress: bool = True) -> list[dict]:
    """Compile (or load) every kernel a user may need, so that later calls start at once.

    Each path of :data:`PATHS` (the loops, for tiny data; every step kernel of the
    kernels' tables; the threaded batch driver when Numba has more than one thread)
    compiles, without running anything, once per dtype in a separate process; the
    processes fill the same disk cache (``NUMBA_CACHE_DIR`` if set, else Numba's
    default). Afterwards no call through the public API compiles anything. Kernels
    already in the cache are only loaded.

    Parameters
    ----------
    dtypes : sequence of {"float64", "float32"}
        Precisions to compile for.
    processes : int or None
        Processes compiling at once; ``None`` uses one per core.
    progress : bool
        Show a progress bar (tqdm) on standard error.

    Returns
    -------
    list of dict
        One row per path and dtype: ``"path"``, ``"dtype"``, ``"compiled"`` (kernels
        compiled; 0 when everything was loaded from the cache) and ``"seconds"``.
    """
    if isinstance(dtypes, str):
        dtypes = [dtypes]
    dtypes = [check.dtype(dtype).__name__ for dtype in dtypes]
    if processes is not None:
        check.positive_int("processes", processes)
    from ._config import launch_threads

    threads = launch_threads() > 1
    jobs = [(index, dtype) for index, path in enumerate(PATHS) for dtype in path.dtypes
            if dtype in dtypes and (threads or not path.needs_threads)]
    if not jobs:
        return []
    workers = min(processes or os.cpu_count() or 1, len(jobs))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(jobs), desc="compiling fastmlp", unit="path")
    results = {}
    try:
        # "spawn": a forked child would inherit Numba's thread pool in an unusable state.
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            # The threaded paths take longest: submitted first, they finish soonest.
            submitted = sorted(jobs, key=lambda job: PATHS[job[0]].needs_threads, reverse=True)
            futures = {pool.submit(_run_path, *job): job for job in submitted}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                if bar is not None:
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return [{"path": PATHS[index].name, "dtype": dtype, "compiled": results[index, dtype][0],
             "seconds": results[index, dtype][1]} for index, dtype in jobs]
