"""The on-disk cache of compiled kernels is invalidated by a change to any kernel source."""

import shutil
from pathlib import Path

import fastmlp
from fastmlp import _config
from fastmlp._kernels import train


def test_kernel_cache_entries_are_stamped_with_all_kernel_sources():
    locator = train.train_epochs._cache._impl.locator
    assert isinstance(locator, _config._KernelSourcesStamp)
    assert locator.get_source_stamp()[1] == _config.kernel_sources_digest()


def test_editing_any_kernel_file_changes_the_digest(tmp_path):
    package = Path(fastmlp.__file__).parent
    copy = tmp_path / "fastmlp"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert _config.kernel_sources_digest(copy) == _config.kernel_sources_digest()
    dense = copy / "_kernels" / "dense.py"
    dense.write_text(dense.read_text() + "\n# edited\n")
    assert _config.kernel_sources_digest(copy) != _config.kernel_sources_digest()


READ_ONLY_EVERYWHERE = """
import warnings
import numpy as np
import numba.core.caching as caching

def read_only(self):
    raise OSError("read-only file system")

caching._CacheLocator.ensure_cache_path = read_only   # every cache directory refuses
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    from fastmlp._kernels import mathfn
x = np.linspace(-3.0, 3.0, 101)
out = np.empty_like(x)
mathfn.tanh_array(x, out)                             # compiled in memory
assert np.allclose(out, np.tanh(x), rtol=1e-15, atol=0)
messages = [str(w.message) for w in caught if "compile cache" in str(w.message)]
print(len(messages), messages[0][:60])
"""


#: Makes Numba's three cache locations refuse, as in a read-only installation whose user
#: has no writable home either (the temporary directory stays writable).
READ_ONLY_INSTALL = """
import numba.core.caching as caching

def read_only(self):
    raise OSError("read-only file system")

for name in ("UserProvidedCacheLocator", "InTreeCacheLocator", "UserWideCacheLocator"):
    setattr(getattr(caching, name), "ensure_cache_path", read_only)
"""

#: Compiles one kernel with its cache in the process's private directory; prints the
#: warnings, the directory and what it holds.
COMPILED_INTO_PRIVATE_DIRECTORY = READ_ONLY_INSTALL + """
import os, warnings
import numpy as np
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    from fastmlp import _numba_internals
    from fastmlp._kernels import mathfn
x = np.linspace(-3.0, 3.0, 101)
out = np.empty_like(x)
mathfn.tanh_array(x, out)
assert np.allclose(out, np.tanh(x), rtol=1e-15, atol=0)
assert _numba_internals.cache_is_private_to_process(mathfn.tanh_array)
directory = _numba_internals._ProcessCacheLocator.directory()
print(len([w for w in caught if "compile cache" in str(w.message)]))
print(directory)
print(sorted(name.rsplit(".", 1)[-1] for _, _, names in os.walk(directory) for name in names
             if "tanh_array" in name))
"""


def test_unwritable_cache_locations_leave_a_private_cache_removed_at_exit(monkeypatch):
    """A read-only install keeps the process's kernels in a temporary directory of its own
    (there the shipped kernels are found too: ``test_prebuilt``), with one warning that
    they are compiled anew in each process; the directory goes when the process ends."""
    import os
    import subprocess
    import sys

    monkeypatch.setenv("FASTMLP_PREBUILT", "0")  # compile, as on a machine not shipped for
    result = subprocess.run([sys.executable, "-c", COMPILED_INTO_PRIVATE_DIRECTORY],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    warnings_count, directory, files = result.stdout.strip().splitlines()[-3:]
    assert warnings_count == "1"
    assert files == "['nbc', 'nbi']"  # compiled, and saved there
    assert not os.path.exists(directory)


def test_unwritable_cache_falls_back_to_compiling_in_memory_with_one_warning():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", READ_ONLY_EVERYWHERE], capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("1 fastmlp cannot write its compile cache"), result.stdout


FIRST_USE = """
import numpy as np
import fastmlp
net = fastmlp.MLP([3, 5, 2], activation="tanh", loss="cross_entropy", seed=0)
X = np.linspace(-1.0, 1.0, 30).reshape(10, 3)
probabilities = net.predict_proba(X)
assert np.allclose(probabilities.sum(axis=1), 1.0)
print(repr(probabilities.tobytes().hex()))
"""


def test_two_processes_compiling_the_same_fresh_cache_at_once_both_succeed(tmp_path):
    import os
    import subprocess
    import sys

    # Compiled for the host: a kernel shipped compiled (fastmlp._prebuilt) would be loaded.
    environment = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache"),
                   "FASTMLP_PREBUILT": "0"}
    command = [sys.executable, "-c", FIRST_USE]
    processes = [subprocess.Popen(command, env=environment, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [process.communicate(timeout=600) for process in processes]
    for process, (_, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err
    assert outputs[0][0] == outputs[1][0]
    assert any((tmp_path / "cache").rglob("*.nbi"))  # the cache was written
    # A third process loads what the two wrote and computes the same.
    third = subprocess.run(command, env=environment, capture_output=True, text=True,
                           timeout=600)
    assert third.returncode == 0, third.stderr
    assert third.stdout == outputs[0][0]
