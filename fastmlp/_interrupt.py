"""Ctrl-C during training: stop at the end of an epoch, never in the middle of one.

Every public training call (``MLP.fit``, ``Playground.run``, the estimators' ``fit`` and
``partial_fit``) enters :func:`deferred_interrupt` before it does anything else. Inside
the block, Python's SIGINT handler is replaced with one that only records the request;
the training loops check it before every epoch (or every group of epochs run in one
compiled call), stop there, and keep the weights and history of the last completed
epoch, as scikit-learn's estimators do; a warning says where it stopped. A Ctrl-C before
the block is entered raises the usual KeyboardInterrupt before anything has changed, and
one that arrives while the call prepares its data stops it before the first epoch. The
previous handler is always restored on the way out. Only the main thread receives
signals: elsewhere the block runs unchanged.

:class:`EpochFigures` holds per-epoch figures in storage that grows with the epochs
actually run, so asking for 10^9 epochs reserves nothing up front.
"""

from __future__ import annotations

import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

#: Wall time aimed at for one compiled call when epochs are grouped, in seconds: how long
#: a Ctrl-C may wait for the current call to finish.
CALL_SECONDS = 0.2


class InterruptFlag:
    """Whether Ctrl-C was pressed inside a :func:`deferred_interrupt` block."""

    def __init__(self) -> None:
        self.requested = False

    def set(self, signum, frame) -> None:
        self.requested = True


_ACTIVE: list[InterruptFlag] = []  # the main thread's flag while a block is active


@contextmanager
def deferred_interrupt() -> Iterator[InterruptFlag]:
    """Turn SIGINT into a flag for the duration of the block (main thread only).

    Blocks nest: an inner block (a solver inside ``fit``) shares the outer one's flag and
    leaves the handler to the outermost block, which restores the previous one.
    """
    if threading.current_thread() is not threading.main_thread():
        yield InterruptFlag()
        return
    if _ACTIVE:
        yield _ACTIVE[0]
        return
    flag = InterruptFlag()
    previous = signal.signal(signal.SIGINT, flag.set)
    _ACTIVE.append(flag)
    try:
        yield flag
    finally:
        _ACTIVE.clear()
        signal.signal(signal.SIGINT, previous)


def warn_interrupted(completed: int, stacklevel: int = 3) -> None:
    """The warning given when training stops on Ctrl-C."""
    warnings.warn(
        f"training interrupted by the user after epoch {completed}; the weights and history "
        "of that epoch are kept", UserWarning, stacklevel=stacklevel,
    )


def run_in_calls(run: Callable[[int, int], tuple[int, bool]], epochs: int,
                 interrupt: InterruptFlag) -> tuple[int, bool]:
    """Run ``epochs`` epochs in as few compiled calls as keep each near ``CALL_SECONDS``.

    ``run(first, count)`` trains epochs ``first .. first + count - 1`` and returns how many
    completed and whether one diverged. The first call runs one epoch; each next call is
    sized from the pace of the one before (growing at most 16-fold, so a first call slowed
    by compiling does not leave every later call at one epoch). A Ctrl-C, checked before
    every call, takes effect within about ``CALL_SECONDS``, or before the first epoch.
    """
    completed, diverged, group = 0, False, 1
    while completed < epochs and not diverged and not interrupt.requested:
        count = min(group, epochs - completed)
        start = time.perf_counter()
        done, diverged = run(completed, count)
        elapsed = time.perf_counter() - start
        completed += done
        group = max(1, min(16 * count, int(CALL_SECONDS * count / max(elapsed, 1e-9))))
    return completed, diverged


class EpochFigures:
    """Rows of per-epoch figures (NaN until written), grown in chunks as epochs run.

    Parameters
    ----------
    n_rows : int
        Figures per epoch (one row each).
    first_chunk : int
        Epochs of storage to start with; capacity doubles (or grows to what a write
        needs) whenever a write goes past it.
    """

    def __init__(self, n_rows: int, first_chunk: int = 1024) -> None:
        self._data = np.full((n_rows, first_chunk), np.nan)

    def block(self, first: int, count: int) -> np.ndarray:
        """The writable ``(n_rows, count)`` view of epochs ``first .. first + count - 1``.

        Each row of the view is contiguous, so it can be handed to a compiled kernel.
        """
        capacity = self._data.shape[1]
        if first + count > capacity:
            grown = np.full((self._data.shape[0], max(2 * capacity, first + count)), np.nan)
            grown[:, :capacity] = self._data
            self._data = grown
        return self._data[:, first:first + count]

    def rows(self, count: int) -> list[np.ndarray]:
        """Copies of the first ``count`` epochs of every row."""
        return [row[:count].copy() for row in self._data]
