"""Kernels compiled ahead of time for whole kinds of x86-64 machine, shipped with fastmlp.

Numba compiles for the CPU it runs on and files the machine code in its disk cache under
that CPU's name and feature list, so a cache filled on one machine serves no other, and
every new machine paid the whole compile on its first run. fastmlp therefore ships the
disk cache of ``fastmlp compile`` (every loop and step kernel, both dtypes, the threaded
driver) built for two fixed targets instead of a host:

* ``x86-64-v4``: AVX-512 (F, BW, CD, DQ, VL) on top of v3: every AVX-512 Xeon or EPYC;
* ``x86-64-v3``: AVX2, FMA, BMI1/2, F16C, LZCNT, MOVBE: every x86-64 core since 2013-15.

When a kernel is not in the user's cache, :func:`lookup` looks for it in the shipped
cache of the widest target whose features the process compiles for (Numba's
``NUMBA_CPU_FEATURES``, or the host's), and Numba then loads that machine code as it
would load its own cache. A kernel is found only if the shipped files were built from
the very kernel sources of this installation (:func:`fastmlp._config.kernel_sources_digest`),
with the installed Numba release and this Python's minor version; otherwise, and on
machines without AVX2, kernels are compiled for the host as before. Set
``FASTMLP_PREBUILT=0`` to compile for the host always.

The machine code differs from what Numba would compile for the host only in its
instruction-set target (the same LLVM, the same optimisation): results can then differ
from a host-compiled kernel's in the last bits, as they can between two machines.

After a change to any kernel source, ``python -m fastmlp._prebuilt`` rebuilds the shipped
cache (about a minute of compiling per target, on two cores) on any x86-64 machine, as
``fastmlp compile`` runs no kernel; ``tests/test_prebuilt.py`` fails until it is rebuilt.
"""

from __future__ import annotations

import functools
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numba

from . import _numba_internals

#: Where the shipped cache lives: one directory per target.
DIRECTORY = Path(__file__).resolve().parent / "_prebuilt_kernels"
#: Set to 0 to compile for the host even where a shipped kernel would serve.
SWITCH = "FASTMLP_PREBUILT"

_V3 = ("64bit", "avx", "avx2", "bmi", "bmi2", "cmov", "crc32", "cx16", "cx8", "f16c", "fma",
       "fxsr", "lzcnt", "mmx", "movbe", "popcnt", "sahf", "sse", "sse2", "sse3", "sse4.1",
       "sse4.2", "ssse3", "xsave")
_V4 = (*_V3, "avx512bw", "avx512cd", "avx512dq", "avx512f", "avx512vl")

#: The targets, widest first: LLVM's CPU name and the features the kernels may use (the
#: name's own features, spelled out so that the build's host adds none of its own).
TARGETS = {
    "x86-64-v4": ",".join(f"+{feature}" for feature in sorted(_V4)),
    "x86-64-v3": ",".join(f"+{feature}" for feature in sorted(_V3)),
}


def enabled() -> bool:
    """Whether shipped kernels may be used (``FASTMLP_PREBUILT`` is not ``0``)."""
    return os.environ.get(SWITCH, "1").strip() != "0"


def _python_tag() -> str:
    return f"py{sys.version_info[0]}{sys.version_info[1]}"


def manifest(target: str) -> dict | None:
    """What the shipped cache of ``target`` was built from, or None if there is none."""
    try:
        return json.loads((DIRECTORY / target / "manifest.json").read_text())
    except (OSError, ValueError):
        return None


@functools.cache
def usable_targets(kernel_sources: str) -> tuple[str, ...]:
    """The targets whose shipped cache was built from these kernel sources (a digest),
    with the installed Numba and this Python."""
    usable = []
    for target in TARGETS:
        built = manifest(target)
        if (built is not None and built.get("kernel_sources") == kernel_sources
                and built.get("numba") == numba.__version__
                and built.get("python") == _python_tag()):
            usable.append(target)
    return tuple(usable)


def runs_on(target: str, features: str) -> bool:
    """Whether code for ``target`` runs on a CPU with ``features`` (an LLVM feature list,
    ``"+avx2,-avx512f,..."``): every feature the target uses is among those enabled."""
    enabled_features = {item[1:] for item in features.split(",") if item.startswith("+")}
    return all(item[1:] in enabled_features for item in TARGETS[target].split(","))


def targets_for(kernel_sources: str, features: str) -> tuple[str, ...]:
    """The shipped targets that a process compiling for ``features`` (an LLVM feature
    list) may load kernels of, widest first: built from ``kernel_sources`` (a digest)
    with this Numba and Python, and running on those features; none when switched off
    (:func:`enabled`)."""
    if not enabled():
        return ()
    return tuple(target for target in usable_targets(kernel_sources)
                 if runs_on(target, features))


def lookup(kernel_sources: str, index_name: str, key: tuple):
    """The shipped cache entry that can stand in for Numba's cache ``key`` of the function
    whose index file is ``index_name``, or None.

    ``key`` is Numba's ``(signature, (triple, cpu name, features), code hashes)``; the
    entry is that of the widest usable target whose features are among ``features``.
    """
    signature, (triple, _, features), hashes = key
    for target in targets_for(kernel_sources, features):
        try:
            data = _numba_internals.read_cache_entry(
                DIRECTORY / target, index_name,
                (signature, (triple, target, TARGETS[target]), hashes))
        except (EOFError, pickle.UnpicklingError):  # a damaged file: compile instead
            continue
        if data is not None:
            return data
    return None


def build(targets=tuple(TARGETS)) -> None:
    """Rebuild the shipped cache of ``targets``: ``fastmlp compile`` in a fresh process
    per target, compiling for that target into an empty cache, whose files are then
    copied here with a manifest.

    Raises
    ------
    ValueError
        For a target not in :data:`TARGETS`.
    """
    unknown = [target for target in targets if target not in TARGETS]
    if unknown:
        raise ValueError(f"unknown targets {unknown}: the targets are {list(TARGETS)}")
    # The digest of the kernel sources, as the fastmlp that compiles sees them (asked of a
    # process of its own: this module is loaded by the one that computes it).
    kernel_sources = subprocess.run(
        [sys.executable, "-c", "from fastmlp._config import kernel_sources_digest as digest; "
         "print(digest())"], check=True, capture_output=True, text=True).stdout.strip()
    for target in targets:
        with tempfile.TemporaryDirectory() as cache:
            environment = {**os.environ, "NUMBA_CACHE_DIR": cache, "NUMBA_CPU_NAME": target,
                           "NUMBA_CPU_FEATURES": TARGETS[target], SWITCH: "0",
                           "NUMBA_NUM_THREADS": "2"}  # so that the threaded driver is built
            subprocess.run([sys.executable, "-m", "fastmlp", "compile", "--quiet"],
                           env=environment, check=True)
            shipped = DIRECTORY / target
            shutil.rmtree(shipped, ignore_errors=True)
            shipped.mkdir(parents=True)
            for path in sorted(Path(cache).rglob("*.nb[ic]")):
                if (shipped / path.name).exists():
                    raise RuntimeError(f"two cache files named {path.name}")
                shutil.copyfile(path, shipped / path.name)
        (shipped / "manifest.json").write_text(json.dumps({
            "target": target, "features": TARGETS[target], "numba": numba.__version__,
            "python": _python_tag(), "kernel_sources": kernel_sources,
        }, indent=1) + "\n")
        print(f"{target}: {len(list(shipped.glob('*.nbc')))} kernels in {shipped}")


if __name__ == "__main__":
    build(tuple(sys.argv[1:]) or tuple(TARGETS))
