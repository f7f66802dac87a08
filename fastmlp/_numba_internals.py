"""Every use of Numba beyond its public API, in one place.

fastmlp needs a few things Numba's public API does not offer. Each is wrapped here, so a
new Numba release is checked against this file alone (``pyproject.toml`` bounds Numba to
the releases CI has run, 0.68.x). What is used, and by whom:

* compiling without Numba's runtime (:data:`WITHOUT_RUNTIME`, for every kernel of
  :mod:`fastmlp._config` but those that call BLAS);
* the nopython pipeline and its lowering pass, to mark functions for 512-bit vectors
  (:class:`WideVectorCompiler`, for the elementary functions of
  :mod:`fastmlp._kernels.mathfn` and the elementwise kernels that use them:
  :func:`fastmlp._config.jit_wide`);
* the cache's file class (its index read and written under a lock shared by processes:
  :func:`lock_cache_files`; entries it lacks looked up elsewhere, :func:`use_fallback_cache`,
  in cache files read directly, :func:`read_cache_entry`: the kernels shipped with fastmlp,
  :mod:`fastmlp._prebuilt`) and its locators (the cache stamped with a digest of every
  kernel source: :func:`use_cache_locators`, with a directory private to the process
  when no other can be written), for :mod:`fastmlp._config`;
* starting Numba's thread pool at a chosen moment (:func:`launch_threads`);
* array structures inside compiled code (:func:`contiguous_view`, :func:`array_size`),
  for the reshaped views of :mod:`fastmlp._kernels.views`;
* a compiled function's native address and the calling convention to call one
  (:func:`native_address`, :func:`call_native`), for the step calls of
  :mod:`fastmlp._kernels.calls`.
"""

import atexit
import os
import pickle
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # no advisory locks on this platform: processes share the cache unlocked
    fcntl = None

import numba
from llvmlite import ir
from numba.core import caching, cgutils, compiler, lowering, typed_passes
from numba.core.compiler_machinery import register_pass
from numba.core.imputils import impl_ret_borrowed
from numba.np.arrayobj import make_array, populate_array

#: Compiler option: no Numba runtime (NRT) in the compiled code. Every array a kernel
#: touches is owned by its Python caller for the whole call, and no kernel allocates or
#: returns an array, so the runtime's reference counts only cost time: each view and each
#: array taken out of a tuple was an atomic increment and decrement, a third of the time
#: of an epoch of 8 samples. Code that needs the runtime (allocation, returning a new
#: array, Numba's ``np.dot``) then fails to compile instead of running slowly. Such code
#: may still return an array it was given, without acquiring it: a caller compiled with
#: the runtime would then release it once too often, so a kernel compiled without the
#: runtime returns no array at all (``tests/test_allocations.py`` checks every one).
WITHOUT_RUNTIME = {"_nrt": False}

#: LLVM function attribute: let the loop vectoriser use 512-bit registers where they exist.
WIDE_VECTORS = '"prefer-vector-width"="512"'


# ------------------------------------------------------------------ the pipeline
def _wide_vector_pass(native_pass, lower_class):
    """Numba's lowering pass ``native_pass``, marking every function it lowers (with
    ``lower_class``) with :data:`WIDE_VECTORS`."""

    class WideVectorLower(lower_class):
        def post_lower(self):
            super().post_lower()
            # llvmlite validates attribute names against a fixed list without key="value"
            # pairs; the attribute set is a plain set of the strings it writes out.
            set.add(self.function.attributes, WIDE_VECTORS)

    class WideVectorPass(native_pass):
        _name = f"fastmlp_wide_vector_{native_pass._name}"

        @property
        def lowering_class(self):
            return WideVectorLower

    return register_pass(mutates_CFG=True, analysis_only=False)(WideVectorPass)


_LOWERING_SWAPS = {
    typed_passes.NativeLowering: _wide_vector_pass(typed_passes.NativeLowering, lowering.Lower),
}


class WideVectorCompiler(compiler.CompilerBase):
    """Numba's nopython pipeline, lowering through :func:`_wide_vector_pass` (a
    ``pipeline_class`` for ``numba.njit``)."""

    def define_pipelines(self):
        pipeline = compiler.DefaultPassBuilder.define_nopython_pipeline(self.state)
        pipeline.passes = [(_LOWERING_SWAPS.get(kind, kind), description)
                           for kind, description in pipeline.passes]
        pipeline.finalize()
        return [pipeline]


# ------------------------------------------------------------------ the disk cache
class _LockedCacheFile(caching.IndexDataCacheFile):
    """Numba's cache file of one function, read and written under a lock shared by processes.

    Numba updates a function's index (signature -> data file) by reading it, adding an
    entry and writing it back. Two processes saving different signatures of one function
    at once (``fastmlp compile`` fills the cache from several processes) could otherwise
    lose an entry, or pair one signature with the other's code.
    """

    @contextmanager
    def _locked(self):
        if fcntl is None:
            yield
            return
        with open(Path(self._cache_path) / "fastmlp-cache.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def save(self, key, data):
        with self._locked():
            super().save(key, data)

    def load(self, key):
        with self._locked():
            data = super().load(key)
        if data is None and _FALLBACKS:
            data = _FALLBACKS[0](self._index_name, key)
        return data


#: At most one function ``(index file name, key) -> data or None``, asked for an entry
#: that the cache does not hold (:func:`use_fallback_cache`).
_FALLBACKS: list = []


def use_fallback_cache(lookup) -> None:
    """Ask ``lookup(index_name, key)`` for the entries that a locked cache file
    (:func:`lock_cache_files`) does not hold: ``index_name`` names the function's index
    file, ``key`` is Numba's index key, and ``lookup`` returns the entry's data as Numba
    saved it, or None."""
    _FALLBACKS[:] = [lookup]


def read_cache_entry(directory, index_name, key):
    """The data of entry ``key`` in the Numba cache files of ``directory`` (index file
    ``index_name``), or None. The index's source stamp is not compared with anything: the
    caller knows which sources the files were built from. Entries of another Numba
    release are never read."""
    try:
        with open(Path(directory) / index_name, "rb") as index:
            version = pickle.load(index)
            rest = index.read()
        if version != numba.__version__:
            return None
        _, overloads = pickle.loads(rest)
        name = overloads.get(key)
        if name is None:
            return None
        return pickle.loads((Path(directory) / name).read_bytes())
    except OSError:
        return None


def lock_cache_files(dispatcher) -> None:
    """Make a cached dispatcher read and write its cache files under a lock shared by
    processes (:class:`_LockedCacheFile`)."""
    dispatcher._cache._cache_file.__class__ = _LockedCacheFile


def _caching_class(name):
    """A class of numba.core.caching, public in recent Numba and private before."""
    return getattr(caching, name, None) or getattr(caching, "_" + name)


class _ProcessCacheLocator(_caching_class("SourceFileBackedLocatorMixin"),
                           _caching_class("CacheLocator")):
    """A cache directory private to this process, made on first use
    (``tempfile.mkdtemp``: readable by its owner only) and removed when the process ends.

    The location of last resort, for an installation where none of the others can be
    written (a read-only file system with a writable temporary directory, as in many
    containers and serverless functions). Through it the kernels shipped with fastmlp
    are still found (a missing cache entry is looked up there, :func:`use_fallback_cache`)
    and only the kernels not shipped for this machine are compiled, once per process.
    Being private and new, it holds nothing another program wrote.
    """

    _directory: list = []

    def __init__(self, py_func, py_file):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self._cache_path = os.path.join(self.directory(),
                                        self.get_suitable_cache_subpath(py_file))

    def get_cache_path(self):
        return self._cache_path

    @classmethod
    def directory(cls) -> str:
        """The process's directory, made the first time it is asked for."""
        if not cls._directory:
            made = tempfile.mkdtemp(prefix="fastmlp-kernels-")
            atexit.register(shutil.rmtree, made, ignore_errors=True)
            cls._directory.append(made)
        return cls._directory[0]

    @classmethod
    def from_function(cls, py_func, py_file):
        try:
            cls.directory()
        except OSError:  # no writable temporary directory either
            return None
        return super().from_function(py_func, py_file)


def use_cache_locators(stamp_mixin) -> None:
    """Put Numba's three cache locations (``NUMBA_CACHE_DIR`` when set, the package's
    ``__pycache__`` when writable, the user's cache directory otherwise), then a
    directory private to the process (:class:`_ProcessCacheLocator`), first in its list
    of locators, each with ``stamp_mixin`` in front: a class whose ``get_source_stamp``
    and ``from_function`` decide which functions it serves and how their cache entries
    are stamped."""
    locators = [
        type(f"_Stamped{name}", (stamp_mixin, _caching_class(name)), {"__doc__": doc})
        for name, doc in (("UserProvidedCacheLocator", "``NUMBA_CACHE_DIR``, when set."),
                          ("InTreeCacheLocator", "The package's ``__pycache__``."),
                          ("UserWideCacheLocator", "The user's cache directory."))
    ]
    locators.append(type("_StampedProcessCacheLocator", (stamp_mixin, _ProcessCacheLocator),
                         {"__doc__": _ProcessCacheLocator.__doc__}))
    _caching_class("CacheImpl")._locator_classes[:0] = locators


def cache_is_private_to_process(dispatcher) -> bool:
    """Whether a cached dispatcher keeps its cache in the process's private directory
    (:class:`_ProcessCacheLocator`): no other cache location could be written."""
    return isinstance(dispatcher._cache._impl.locator, _ProcessCacheLocator)


# ------------------------------------------------------------------ threads
def launch_threads() -> None:
    """Start Numba's thread pool now (Numba otherwise starts it at the first parallel
    call)."""
    from numba.np.ufunc import parallel

    parallel._launch_threads()


# ------------------------------------------------------------------ arrays in compiled code
def contiguous_view(context, builder, source_type, source_value, result_type, dimensions):
    """In an intrinsic's code generation: a ``result_type`` view of ``source_value``'s
    memory with C strides for ``dimensions`` (LLVM values of type intp)."""
    source = make_array(source_type)(context, builder, source_value)
    result = make_array(result_type)(context, builder)
    itemsize = source.itemsize
    strides, stride = [], itemsize
    for dimension in reversed(dimensions):
        strides.insert(0, stride)
        stride = builder.mul(stride, dimension)
    populate_array(
        result,
        data=source.data,
        shape=cgutils.pack_array(builder, dimensions),
        strides=cgutils.pack_array(builder, strides),
        itemsize=itemsize,
        meminfo=source.meminfo,
        parent=source.parent,
    )
    return impl_ret_borrowed(context, builder, result_type, result._getvalue())


def array_size(context, builder, array_type, value):
    """In an intrinsic's code generation: the number of elements of an array value."""
    return make_array(array_type)(context, builder, value).nitems


def freeze(builder, value):
    """In an intrinsic's code generation: LLVM's ``freeze`` of ``value`` (the same value,
    which later folds cannot see through); llvmlite's builder has no method for it."""
    instruction = ir.Instruction(builder.block, value.type, "freeze", [value])
    builder._insert(instruction)
    return instruction


# ------------------------------------------------------------------ native calls
def native_address(dispatcher, argument_types):
    """``(address, return type)`` of ``dispatcher``'s compilation for ``argument_types``
    (which must exist): the address stays valid while the dispatcher lives."""
    compiled = dispatcher.overloads[argument_types]
    address = compiled.library.get_pointer_to_function(compiled.fndesc.llvm_func_name)
    return address, compiled.signature.return_type


def call_native(context, builder, address, return_type, argument_types, values):
    """In an intrinsic's code generation: call the compiled function at ``address`` (an
    LLVM integer) with Numba's calling convention; returns the result value."""
    function_type = context.call_conv.get_function_type(return_type, argument_types)
    function = builder.inttoptr(address, function_type.as_pointer())
    _, result = context.call_conv.call_function(builder, function, return_type,
                                                argument_types, values)
    return result


__all__ = ["WITHOUT_RUNTIME", "WIDE_VECTORS", "WideVectorCompiler", "array_size", "freeze",
           "cache_is_private_to_process", "call_native", "contiguous_view", "launch_threads",
           "lock_cache_files", "native_address", "read_cache_entry", "use_cache_locators",
           "use_fallback_cache"]
