"""Ctrl-C during training: stop at the end of an epoch, never in the middle of one.

While training runs, :func:`deferred_interrupt` replaces Python's SIGINT handler with one
that only records the request. The training loops check it between epochs (or between
chunks of epochs run in one compiled call), stop there, and keep the weights and history
of the last completed epoch, as scikit-learn's estimators do; a warning says where it
stopped. Only the main thread receives signals: elsewhere the block runs unchanged.
"""

from __future__ import annotations

import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager

#: Wall time aimed at for one compiled call when epochs are grouped, in seconds: how long
#: a Ctrl-C may wait for the current call to finish.
CALL_SECONDS = 0.2


class InterruptFlag:
    """Whether Ctrl-C was pressed inside a :func:`deferred_interrupt` block."""

    def __init__(self) -> None:
        self.requested = False

    def set(self, signum, frame) -> None:
        self.requested = True


@contextmanager
def deferred_interrupt() -> Iterator[InterruptFlag]:
    """Turn SIGINT into a flag for the duration of the block (main thread only)."""
    flag = InterruptFlag()
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return
    previous = signal.signal(signal.SIGINT, flag.set)
    try:
        yield flag
    finally:
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
    completed and whether one diverged. The first call runs one epoch to time it; the rest
    go in groups sized from that, so a Ctrl-C, checked between calls, takes effect within
    about ``CALL_SECONDS``.
    """
    start = time.perf_counter()
    completed, diverged = run(0, 1)
    group = max(1, int(CALL_SECONDS / max(time.perf_counter() - start, 1e-9)))
    while completed < epochs and not diverged and not interrupt.requested:
        done, diverged = run(completed, min(group, epochs - completed))
        completed += done
    return completed, diverged
