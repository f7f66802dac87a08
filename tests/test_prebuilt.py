"""The kernels shipped compiled ahead of time (``fastmlp._prebuilt``): built from these
sources, chosen by the features the process compiles for, and covering every path."""

import os
import subprocess
import sys

import numba
import pytest
from numba import types
from numba.core.registry import cpu_target
from test_cache import READ_ONLY_INSTALL
from test_compiling import EVERY_PATH

from fastmlp import _config, _numba_internals, _prebuilt
from fastmlp._kernels import activations

HASWELL = ("+64bit,+avx,+avx2,+bmi,+bmi2,+cmov,+crc32,+cx16,+cx8,+f16c,+fma,+fsgsbase,+fxsr,"
           "+invpcid,+lzcnt,+mmx,+movbe,+pclmul,+popcnt,+rdrnd,+sahf,+sse,+sse2,+sse3,"
           "+sse4.1,+sse4.2,+ssse3,+x87,+xsave,+xsaveopt")
AVX512 = ",+avx512f,+avx512bw,+avx512cd,+avx512dq,+avx512vl"


def process_features():
    return cpu_target.target_context.codegen().magic_tuple()[2]


@pytest.fixture
def usable_here(monkeypatch):
    """The shipped targets this test process may load with the switch on (it is turned
    on for the test), or a reason to skip."""
    monkeypatch.delenv(_prebuilt.SWITCH, raising=False)
    usable = _prebuilt.targets_for(_config.kernel_sources_digest(), process_features())
    if not usable:
        pytest.skip(f"no shipped kernels for Numba {numba.__version__}, "
                    f"Python {sys.version_info[0]}.{sys.version_info[1]} and this CPU's features")
    return usable


@pytest.mark.parametrize("target", list(_prebuilt.TARGETS))
def test_shipped_kernels_were_built_from_these_kernel_sources(target):
    built = _prebuilt.manifest(target)
    assert built is not None, f"no shipped kernels for {target}: run python -m fastmlp._prebuilt"
    assert built["kernel_sources"] == _config.kernel_sources_digest(), (
        "the kernel sources changed since the shipped kernels were built: "
        "run python -m fastmlp._prebuilt")
    assert built["features"] == _prebuilt.TARGETS[target]
    assert any((_prebuilt.DIRECTORY / target).glob("*.nbc"))


@pytest.mark.parametrize("features, targets", [
    (HASWELL + AVX512, ["x86-64-v4", "x86-64-v3"]),
    (HASWELL, ["x86-64-v3"]),
    (HASWELL + ",-avx512f,-avx512bw,-avx512cd,-avx512dq,-avx512vl", ["x86-64-v3"]),
    (HASWELL.replace("+avx2,", "-avx2,") + AVX512, []),  # no AVX2: nothing runs
    ("+64bit,+sse,+sse2,+cx8,+fxsr,+mmx", []),
])
def test_a_target_runs_where_every_feature_it_uses_is_enabled(features, targets):
    assert [target for target in _prebuilt.TARGETS
            if _prebuilt.runs_on(target, features)] == targets


def test_a_missing_kernel_is_taken_from_the_widest_target_unless_switched_off(usable_here,
                                                                            monkeypatch):
    cache = activations.leaky_relu._cache
    key = cache._index_key((types.Array(types.float64, 2, "C"),),
                           cpu_target.target_context.codegen())
    index_name = cache._cache_file._index_name
    digest = _config.kernel_sources_digest()
    read = _numba_internals.read_cache_entry
    asked = []
    monkeypatch.setattr(_numba_internals, "read_cache_entry",
                        lambda directory, *rest: asked.append(directory) or read(directory, *rest))
    assert _prebuilt.lookup(digest, index_name, key) is not None
    assert asked == [_prebuilt.DIRECTORY / usable_here[0]]
    monkeypatch.setenv(_prebuilt.SWITCH, "0")
    assert _prebuilt.lookup(digest, index_name, key) is None
    # Another kernel source, another Numba: nothing is taken.
    monkeypatch.delenv(_prebuilt.SWITCH)
    assert _prebuilt.lookup("0" * 64, index_name, key) is None


def test_a_damaged_shipped_file_counts_as_absent(usable_here, monkeypatch, tmp_path):
    """A shipped file that cannot be unpickled leaves the kernel to be compiled rather
    than failing the call that needs it."""
    cache = activations.leaky_relu._cache
    key = cache._index_key((types.Array(types.float64, 2, "C"),),
                           cpu_target.target_context.codegen())
    index_name = cache._cache_file._index_name
    for target in usable_here:
        (tmp_path / target).mkdir()
        (tmp_path / target / index_name).write_bytes(b"\x80\x05 not a pickle")
    monkeypatch.setattr(_prebuilt, "DIRECTORY", tmp_path)
    assert _prebuilt.lookup(_config.kernel_sources_digest(), index_name, key) is None


def test_the_rebuild_refuses_an_unknown_target():
    with pytest.raises(ValueError, match="x86-64-v2"):
        _prebuilt.build(("x86-64-v2",))


def test_on_an_empty_cache_no_path_compiles(usable_here, tmp_path):
    """The shipped kernels cover every path: a process with an empty cache, on a machine
    of a shipped kind, compiles nothing, whatever it runs (the paths of
    ``test_after_compile_no_path_compiles``)."""
    environment = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    result = subprocess.run([sys.executable, "-c", EVERY_PATH], env=environment,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "{}", result.stdout
    assert not any((tmp_path / "cache").rglob("*.nbc"))  # nothing compiled, nothing saved


def test_a_read_only_install_loads_the_shipped_kernels(usable_here):
    """Where no cache directory can be written, the process keeps its cache in a private
    temporary directory, so that the shipped kernels still serve: every path then compiles
    nothing, as on an empty cache."""
    script = READ_ONLY_INSTALL + EVERY_PATH + (
        "print(_numba_internals._ProcessCacheLocator.directory())\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, result.stderr
    compiled, directory = result.stdout.strip().splitlines()[-2:]
    assert compiled == "{}", compiled
    assert "fastmlp cannot write its compile cache" in result.stderr
    assert not os.path.exists(directory)  # removed when the process ended
