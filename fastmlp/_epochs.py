"""Epochs in compiled calls: how many per call, and where their figures go.

A training call asked for many epochs runs them in several compiled calls, each sized
to take about :data:`CALL_SECONDS` (:func:`run_in_calls`), so that Python regains control
often enough to act on a Ctrl-C (:mod:`fastmlp._interrupt`) while the calls stay long
enough to cost nothing. :class:`EpochFigures` holds per-epoch figures in storage that
grows with the epochs actually run, so asking for 10^9 epochs reserves nothing up front.
"""

from __future__ import annotations

from collections.abc import Callable
from time import perf_counter

import numpy as np

from ._interrupt import InterruptFlag

#: Wall time aimed at for one compiled call when epochs are grouped, in seconds: how long
#: a Ctrl-C may wait for the current call to finish.
CALL_SECONDS = 0.2
#: Most a call may grow over the one before it, in epochs.
MAX_GROWTH = 1024


def run_in_calls(run: Callable[[int, int], tuple[int, bool]], epochs: int,
                 interrupt: InterruptFlag) -> tuple[int, bool]:
    """Run ``epochs`` epochs in as few compiled calls as keep each near ``CALL_SECONDS``.

    ``run(first, count)`` trains epochs ``first .. first + count - 1`` and returns how many
    completed and whether one diverged. The first call runs one epoch; each next call is
    sized from the pace of the one before, at most :data:`MAX_GROWTH` times as many
    epochs. A short call's pace overstates an epoch's time (the call's fixed cost and any
    compiling count in it), so a fast job, such as a thousand epochs of the two-moons
    network, runs in two calls, and a slow one never runs past ``CALL_SECONDS`` by more
    than one epoch's time. A Ctrl-C, checked before every call, takes effect within about
    ``CALL_SECONDS``, or before the first epoch.
    """
    completed, diverged, group = 0, False, 1
    while completed < epochs and not diverged and not interrupt.requested:
        count = min(group, epochs - completed)
        start = perf_counter()
        done, diverged = run(completed, count)
        elapsed = perf_counter() - start
        completed += done
        group = max(1, min(MAX_GROWTH * count,
                           int(CALL_SECONDS * count / max(elapsed, 1e-9))))
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
