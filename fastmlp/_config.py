"""Numba settings shared by every compiled kernel.

Two decorators live here so that no kernel spells out its own flags:

* :func:`jit` for the training and inference kernels. Its fast-math set lets LLVM
  reassociate sums (needed to vectorise reductions such as ``sum(delta * z)``) and
  fuse multiply-adds, but it keeps IEEE semantics for NaN and infinity, so the
  finiteness checks that guard training are never optimised away.
* :func:`jit_exact` for the elementary functions in :mod:`fastmlp._kernels.mathfn`.
  Their error-compensation steps (Cody-Waite reduction, the ``log1p`` correction
  term) rely on the exact order of floating-point operations, which ``reassoc``
  would be allowed to destroy, so they only allow contraction into FMAs.

:func:`jit_parallel` adds ``parallel=True`` for the one driver that splits a batch across
threads (:func:`fastmlp._kernels.network.batch_loss_and_gradient`).

Compiled code is cached on disk (``cache=True``): a second process loads it
instead of compiling. Every kernel releases the GIL (``nogil=True``) so that
threads can train different models at once.
"""

import numba

FAST_MATH_FLAGS = frozenset({"nsz", "arcp", "contract", "afn", "reassoc"})
EXACT_MATH_FLAGS = frozenset({"nsz", "contract"})

_COMMON = {"cache": True, "nogil": True, "error_model": "numpy"}
JIT_OPTIONS = {**_COMMON, "fastmath": set(FAST_MATH_FLAGS)}
EXACT_JIT_OPTIONS = {**_COMMON, "fastmath": set(EXACT_MATH_FLAGS)}
# For helpers built per float format inside factories: compiled into (and cached with)
# the kernels that call them, never cached on their own.
INLINE_JIT_OPTIONS = {"nogil": True, "error_model": "numpy", "fastmath": set(EXACT_MATH_FLAGS)}


def jit(function):
    """Compile ``function`` with the project's kernel settings."""
    return numba.njit(**JIT_OPTIONS)(function)


def jit_parallel(function):
    """Compile ``function`` with the kernel settings and ``prange`` loops run in threads."""
    return numba.njit(parallel=True, **JIT_OPTIONS)(function)


def jit_exact(function):
    """Compile ``function`` without reassociation (for the elementary functions)."""
    return numba.njit(**EXACT_JIT_OPTIONS)(function)
