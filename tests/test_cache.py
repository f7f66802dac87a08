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
