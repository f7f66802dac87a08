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
"""

from __future__ import annotations

import signal
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager


class InterruptFlag:
    """Whether Ctrl-C was pressed inside a :func:`deferred_interrupt` block."""

    def __init__(self) -> None:
        self.requested = False

    def set(self, signum, frame) -> None:
        self.requested = True


_ACTIVE: list[InterruptFlag] = []  # the main thread's flag while a block is active

try:  # signal.signal without its wrapping of handlers in enums (about 15 us per block)
    from _signal import signal as _set_handler
except ImportError:  # pragma: no cover - CPython has _signal
    _set_handler = signal.signal


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
    previous = _set_handler(signal.SIGINT, flag.set)
    _ACTIVE.append(flag)
    try:
        yield flag
    finally:
        _ACTIVE.clear()
        _set_handler(signal.SIGINT, previous)


def warn_interrupted(completed: int, stacklevel: int = 3) -> None:
    """The warning given when training stops on Ctrl-C."""
    warnings.warn(
        f"training interrupted by the user after epoch {completed}; the weights and history "
        "of that epoch are kept", UserWarning, stacklevel=stacklevel,
    )
