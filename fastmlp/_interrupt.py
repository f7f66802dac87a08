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
import warnings
from collections.abc import Iterator
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
