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
threads (:func:`fastmlp._kernels.network.threaded_batch_loss_and_gradient`); the loops call
it through its address, like the serial driver, so only runs that use threads compile it.
:func:`jit_variant` compiles a copy of a kernel under a name of its own.
:func:`jit_inline` marks the few kernels inlined into their callers to save compile time.

The array versions of the elementary functions (``mathfn.*_array``) are compiled through
:class:`fastmlp._numba_internals.WideVectorCompiler`: Numba's own pipeline, asking LLVM for
the widest vectors the CPU has. On AVX-512 machines LLVM's default is 256-bit vectors (4
float64 / 8 float32 lanes), chosen for CPUs whose clock drops under 512-bit instructions;
with 512-bit ones the polynomial ``tanh``, ``exp`` and ``log`` use all 8 float64 / 16
float32 lanes. The training kernels keep LLVM's default, by measurement on an AVX-512 Xeon:
with 512-bit vectors in the activations and output heads, the two-moons job (3,500 values
per layer) trained 8% faster, but the Playground job (batches of 10) 4-7% slower; with
512-bit vectors in every kernel, 15% faster and 10% slower. On CPUs without AVX-512 the
request changes nothing.

Compiled code is cached on disk (``cache=True``): a second process loads it
instead of compiling. Numba checks a cached function against its own source file only,
while a kernel inlines code from the other kernel files; so fastmlp's cache entries are
stamped with a digest of every kernel source as well (:class:`_KernelSourcesStamp`), and
a change to any of them recompiles all. A kernel missing from the cache is looked for
among those shipped with fastmlp, compiled ahead of time for whole kinds of machine
(:mod:`fastmlp._prebuilt`), before it is compiled. Every kernel releases the GIL
(``nogil=True``) so that threads can train different models at once.
"""

import ctypes
import functools
import hashlib
import os
import threading
import types
import warnings
from contextlib import ExitStack, contextmanager, nullcontext
from pathlib import Path

import numba

from . import _numba_internals as _numba
from . import _prebuilt

FAST_MATH_FLAGS = frozenset({"nsz", "arcp", "contract", "afn", "reassoc"})
EXACT_MATH_FLAGS = frozenset({"nsz", "contract"})



_COMMON = {"cache": True, "nogil": True, "error_model": "numpy", **_numba.WITHOUT_RUNTIME}
JIT_OPTIONS = {**_COMMON, "fastmath": set(FAST_MATH_FLAGS)}
# The elementary functions' array forms return their output array, so they keep Numba's
# runtime: without it, a caller compiled with the runtime would release that array once
# more than it was acquired (_numba_internals.WITHOUT_RUNTIME).
EXACT_JIT_OPTIONS = {**_COMMON, "fastmath": set(EXACT_MATH_FLAGS),
                     "pipeline_class": _numba.WideVectorCompiler, "_nrt": True}
WIDE_JIT_OPTIONS = {**JIT_OPTIONS, "pipeline_class": _numba.WideVectorCompiler}
# For helpers built per float format inside factories: compiled into (and cached with)
# the kernels that call them, never cached on their own.
INLINE_JIT_OPTIONS = {"nogil": True, "error_model": "numpy", "fastmath": set(EXACT_MATH_FLAGS),
                      **_numba.WITHOUT_RUNTIME}
# Numba's np.dot needs its runtime (_numba_internals.WITHOUT_RUNTIME).
BLAS_JIT_OPTIONS = {**JIT_OPTIONS, "_nrt": True}


_NO_CACHE_WARNED = []
_UNWRITABLE = "fastmlp cannot write its compile cache ({} are all read-only): {}. Set " \
    "NUMBA_CACHE_DIR to a writable directory to keep them."
_CACHE_PLACES = "NUMBA_CACHE_DIR, the package's __pycache__ and the user cache directory"


def _warn_once(message):
    if not _NO_CACHE_WARNED:
        _NO_CACHE_WARNED.append(True)
        warnings.warn(message, RuntimeWarning, stacklevel=4)


def _njit(function, **options):
    """``numba.njit``, with the cache in a directory private to the process when no cache
    directory can be written, and compiling in memory only when not even that can be made.

    Numba refuses ``cache=True`` when neither ``NUMBA_CACHE_DIR``, the package's
    ``__pycache__`` nor the user's cache directory can be written (a read-only install).
    fastmlp then keeps the process's kernels in a temporary directory of its own
    (:class:`fastmlp._numba_internals._ProcessCacheLocator`), so that the kernels shipped
    compiled for this kind of machine are still loaded (:mod:`fastmlp._prebuilt`), and
    warns once that the others are compiled in every process. With no temporary directory
    either, it compiles in memory and warns so. Cached kernels read and write their cache
    files under a lock (:func:`fastmlp._numba_internals.lock_cache_files`).
    """
    try:
        dispatcher = numba.njit(**options)(function)
        if options.get("cache"):
            _numba.lock_cache_files(dispatcher)
            if _numba.cache_is_private_to_process(dispatcher):
                _warn_once(_UNWRITABLE.format(
                    _CACHE_PLACES, "the kernels not shipped compiled for this machine are "
                    "compiled anew in every process"))
        return dispatcher
    except RuntimeError as error:
        if "no locator available" not in str(error):
            raise
    _warn_once(_UNWRITABLE.format(
        _CACHE_PLACES.replace(" and ", ", ") + " and the temporary directory",
        "kernels are compiled in memory for this process only"))
    return numba.njit(**{**options, "cache": False})(function)


def jit(function):
    """Compile ``function`` with the project's kernel settings."""
    return _njit(function, **JIT_OPTIONS)


def jit_blas(function):
    """:func:`jit` for the kernels that hand a product to BLAS (``np.dot``): compiled with
    Numba's runtime, which its ``np.dot`` needs; their products are large enough that its
    reference counts cost nothing measurable."""
    return _njit(function, **BLAS_JIT_OPTIONS)


def jit_wide(function):
    """:func:`jit`, with loops vectorised in the widest registers the machine has.

    LLVM's tuning for AVX-512 cores keeps loops in 256-bit registers unless told
    otherwise. For the elementwise kernels (activations, heads, optimizer updates), whose
    work is the polynomials of :mod:`fastmlp._kernels.mathfn`, 512-bit registers were
    measured 1.3-1.4x faster on such a core (tanh over 350 x 10 values, the binary
    cross-entropy head over 350); on a machine without AVX-512 nothing changes.
    """
    return _njit(function, **WIDE_JIT_OPTIONS)


def jit_inline(function):
    """:func:`jit`, and inlined into its compiled callers before they are compiled.

    Numba compiles every kernel that another kernel calls into a library of its own,
    optimised and turned into machine code, which the caller links in and optimises again;
    each level of calls repeats that work for everything beneath it. A kernel called from
    one or two places in the training path (the network's forward and backward passes, the
    per-slot batch loop, the optimizer step and the loop's small helpers) is instead
    inlined as Numba code, which removes that level (about a second of compiling per
    entry point) for the same machine code. Called from Python, it still compiles on its
    own. A kernel that does arithmetic and is called directly (not through its address,
    :mod:`fastmlp._kernels.calls`) must be inlined too: compiled in the same process, a
    caller carries the callee's code optimised into its own, while a caller loaded from
    the disk cache calls the callee's separate code, and the two can round differently
    (a reduction vectorised another way), so that a result would depend on whether the
    process compiled or loaded its kernels. Kernels called from many places (the dense
    products, the heads) are called through their addresses: inlining them was measured
    to make compiling slower. The layer views are inlined
    because, compiled without Numba's runtime, a function cannot return a new view.
    """
    return _njit(function, inline="always", **JIT_OPTIONS)


def jit_parallel(function):
    """Compile ``function`` with the kernel settings and ``prange`` loops run in threads."""
    return _njit(function, parallel=True, **JIT_OPTIONS)


def jit_variant(kernel, name, compile_with=None, **replacements):
    """A copy of the ``kernel`` in which the globals in ``replacements`` (other kernels it
    calls, or compile-time switches) are swapped, compiled and cached under its own ``name``.

    This is how the threaded batch driver gets a compiled (not inlined) copy of the
    per-group work, without writing it twice. ``compile_with`` is :func:`jit` (the default),
    :func:`jit_inline` or :func:`jit_parallel`. The copy has no closure, so Numba's cache
    recognises it across processes (a closure over a kernel would be hashed differently
    each time).
    """
    function = kernel.py_func
    copy = types.FunctionType(function.__code__, {**function.__globals__, **replacements},
                              name, function.__defaults__)
    copy.__qualname__ = name
    copy.__module__ = function.__module__
    copy.__doc__ = function.__doc__
    return (compile_with or jit)(copy)


def jit_exact(function):
    """Compile ``function`` without reassociation and with the widest vectors (for the
    elementary functions' array versions)."""
    return _njit(function, **EXACT_JIT_OPTIONS)


_LAYER = []
_WORKQUEUE_LOCK = threading.Lock()

#: Spins of an idle OpenMP (libgomp) thread before it sleeps, while Numba starts its
#: threads; a user's own ``GOMP_SPINCOUNT`` or ``OMP_WAIT_POLICY`` wins.
OMP_SPIN_COUNT = 3000
_LAUNCH_LOCK = threading.Lock()
_LAUNCHED = []


def launch_threads():
    """Start Numba's threads; return how many there are.

    A batch split across threads ends in a join: a thread that finishes its part waits
    for the other. libgomp's waiting threads spin 300,000 times before they sleep, about
    10 ms on a current x86 core; on a machine where other programs also want the cores,
    the spinning thread keeps a core from the very thread it waits for. Measured on two
    cores with one busy elsewhere, scikit-learn's default settings on a 50,000 x 54 table
    then trained 10x slower than on an idle machine; with 3,000 spins, 2.2x slower (what
    sharing a core costs), and as fast as with the default on the idle machine. libgomp
    reads the setting once, when Numba loads it: the variable is set for that moment
    only, so that no other program or library started later inherits it.
    """
    with _LAUNCH_LOCK:  # the environment is the process's: one launch at a time, once
        if not _LAUNCHED:
            own_setting = "GOMP_SPINCOUNT" in os.environ or "OMP_WAIT_POLICY" in os.environ
            if not own_setting:
                os.environ["GOMP_SPINCOUNT"] = str(OMP_SPIN_COUNT)
            try:
                _numba.launch_threads()
            finally:
                if not own_setting:
                    del os.environ["GOMP_SPINCOUNT"]
            _LAUNCHED.append(True)
    return numba.get_num_threads()


def thread_safe_layer() -> bool:
    """Whether Numba's threading layer accepts parallel calls from several threads at once.

    ``omp`` and ``tbb`` do; ``workqueue``, Numba's fallback when neither library is
    installed, terminates the process on concurrent use.
    """
    if not _LAYER:
        launch_threads()
        _LAYER.append(numba.threading_layer())
    return _LAYER[0] != "workqueue"


class _BlasThreads:
    """The thread count of one BLAS library loaded in the process: read and set.

    For OpenBLAS on its own threads (not OpenMP) the count is process-wide, and this calls
    the library's own functions: threadpoolctl lets only one Python thread at a time set
    that count and silently ignores the others, so a fit started from a second thread
    would run its products on all of BLAS's threads. Every other library goes through
    threadpoolctl's controller.
    """

    _AFFIXES = [(prefix, suffix) for prefix in ("", "scipy_") for suffix in ("", "64_", "_64")]

    def __init__(self, controller):
        self.get, self.set = controller.get_num_threads, controller.set_num_threads
        if controller.internal_api == "openblas" and controller.threading_layer != "openmp":
            library = ctypes.CDLL(controller.filepath)
            for prefix, suffix in self._AFFIXES:
                getter = getattr(library, f"{prefix}openblas_get_num_threads{suffix}", None)
                setter = getattr(library, f"{prefix}openblas_set_num_threads{suffix}", None)
                if getter is not None and setter is not None:
                    self.get, self.set = getter, setter
                    break


_BLAS_LIMIT_LOCK = threading.Lock()
_BLAS_LIMIT = {"users": 0, "libraries": None, "saved": None, "kernels": None}


def _load_blas():
    """Load the BLAS Numba calls and find every BLAS library in the process (once; the
    caller holds ``_BLAS_LIMIT_LOCK``)."""
    if _BLAS_LIMIT["libraries"] is None:
        import scipy.linalg.cython_blas  # noqa: F401  (the BLAS Numba calls: loaded first)
        from threadpoolctl import ThreadpoolController

        controllers = ThreadpoolController().select(user_api="blas").lib_controllers
        _BLAS_LIMIT["kernels"] = tuple((controller.internal_api,
                                        getattr(controller, "architecture", None))
                                       for controller in controllers)
        _BLAS_LIMIT["libraries"] = [_BlasThreads(controller) for controller in controllers]


def blas_kernels() -> tuple:
    """``(internal_api, architecture)`` of every BLAS library in the process, as
    threadpoolctl reads them, e.g. ``("openblas", "SkylakeX")`` (the architecture is None
    for a library that does not tell it)."""
    with _BLAS_LIMIT_LOCK:
        _load_blas()
        return _BLAS_LIMIT["kernels"]


@contextmanager
def single_threaded_blas():
    """Hold BLAS to one thread while compiled kernels call it.

    A product's bits can depend on how many threads BLAS splits it over (OpenBLAS sums
    a matrix-vector product in pieces, one per thread), so every kernel call that may
    reach BLAS holds it to one thread: a result then depends neither on the BLAS thread
    count nor on the thread that trains. When batches are split across fastmlp's own
    threads, BLAS's threads would only oversubscribe the cores anyway.

    The count is process-wide, as BLAS's is: it is set by the first of any concurrent
    callers and restored by the last, so that one fit ending never lifts it under another.
    Another thread's BLAS work runs single-threaded meanwhile.
    """
    with _BLAS_LIMIT_LOCK:
        _load_blas()
        if _BLAS_LIMIT["users"] == 0:
            _BLAS_LIMIT["saved"] = [library.get() for library in _BLAS_LIMIT["libraries"]]
            for library in _BLAS_LIMIT["libraries"]:
                library.set(1)
        _BLAS_LIMIT["users"] += 1
    try:
        yield
    finally:
        with _BLAS_LIMIT_LOCK:
            _BLAS_LIMIT["users"] -= 1
            if _BLAS_LIMIT["users"] == 0:
                for library, count in zip(_BLAS_LIMIT["libraries"], _BLAS_LIMIT["saved"],
                                          strict=True):
                    if count is not None:  # None: a library that does not tell its count
                        library.set(count)


def parallel_calls(threaded, blas=True):
    """Wrap every call into a compiled training or loss kernel.

    When some product of the call may reach BLAS (``blas``), BLAS is held to one thread
    meanwhile (:func:`single_threaded_blas`). Under Numba's ``workqueue`` layer, calls of a
    ``threaded`` kernel (one that splits batches across threads) are also serialised
    across Python threads, so concurrent fits run one at a time instead of crashing.

    A network whose products all stay below BLAS's threshold never compiles the BLAS
    forms, so there is nothing to hold: reading and setting every BLAS library's thread
    count cost about 5 us per call, a tenth of an epoch of the two-moons experiment
    through the estimators (which call once per epoch).
    """
    serialised = threaded and not thread_safe_layer()
    if not (serialised or blas):
        return nullcontext()
    return _held_calls(serialised, blas)


@contextmanager
def _held_calls(serialised, blas):
    with ExitStack() as stack:
        if serialised:
            stack.enter_context(_WORKQUEUE_LOCK)
        if blas:
            stack.enter_context(single_threaded_blas())
        yield


_PACKAGE = Path(__file__).resolve().parent


def kernel_sources_digest(package=_PACKAGE):
    """SHA-256 of ``_config.py``, ``_numba_internals.py`` and every file of ``_kernels`` in
    ``package``, in order."""
    digest = hashlib.sha256()
    for path in sorted([package / "_config.py", package / "_numba_internals.py",
                        *(package / "_kernels").glob("*.py")]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


class _KernelSourcesStamp:
    """Cache-locator mixin for fastmlp's functions: the stamp covers all kernel sources."""

    digest = kernel_sources_digest()

    def get_source_stamp(self):
        return (super().get_source_stamp(), self.digest)

    @classmethod
    def from_function(cls, py_func, py_file):
        if not Path(py_file).resolve().is_relative_to(_PACKAGE):
            return None  # not fastmlp's: numba's own locators decide
        return super().from_function(py_func, py_file)


_numba.use_cache_locators(_KernelSourcesStamp)
# What the user's cache lacks, the kernels shipped with fastmlp may hold (for this very
# source, compiled for a kind of machine this one belongs to).
_numba.use_fallback_cache(functools.partial(_prebuilt.lookup, _KernelSourcesStamp.digest))
