"""First run: what a new user waits for while Numba's compile cache is still empty.

    python bench/first_run.py [--repeats N] [--json OUT.json]

Every entry point runs in a fresh Python process with a new, empty ``NUMBA_CACHE_DIR``
(deleted afterwards), so each one's cost on a cold cache is measured alone:

* ``fastmlp demo`` as a whole process, as shipped (loading the kernels compiled ahead of
  time where the machine is of a shipped kind) and compiling every kernel for this machine
  (``FASTMLP_PREBUILT=0``), next to scikit-learn's counterpart
  (``bench/sklearn_moons_script.py``) and JAX's, the compiling peer
  (``bench/jax_moons_script.py``: the whole training one ``jax.jit`` function; skipped
  without JAX); each is then run a second time, the demo on the cache its first run
  filled;
* ``MLP([2, 10, 1]).fit`` on two moons, in float64 and in float32, followed by the first
  calls of ``loss``, ``gradients`` and ``predict``; ``MLPClassifier.fit`` on the digits and
  its ``predict``; ``Playground("spiral").run(500)``: each call timed twice inside its
  process by ``bench/first_run_child.py``;
* ``fastmlp --help`` as a whole process.

The processes import fastmlp from the repository this script lives in (working directory
and ``PYTHONPATH`` set to its root), whatever copy is installed. Prints a Markdown table of
medians over the repeats and the machine; ``--json`` also saves them (``bench/report.py``
puts that table into ``docs/benchmarks/results.md``).
"""

import argparse
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
CHILD = BENCH / "first_run_child.py"
SKLEARN_SCRIPT = BENCH / "sklearn_moons_script.py"
JAX_SCRIPT = BENCH / "jax_moons_script.py"
COMMAND = "python bench/first_run.py"
TIMEOUT_SECONDS = 1800

#: Entry points timed inside their process by ``first_run_child.py``.
CHILD_ENTRIES = ("mlp-float64", "mlp-float32", "estimator", "playground")
#: Loaded once, untimed, before any measurement, so that no entry pays for reading the
#: libraries from disk; also reports which fastmlp the processes import.
WARM_UP = "import numpy, scipy, sklearn, matplotlib.pyplot, numba, fastmlp; print(fastmlp.__file__)"


def child_environment(cache_dir, settings=None):
    """The environment of a measured process.

    Parameters
    ----------
    cache_dir : str
        Numba's cache directory for this process.
    settings : dict or None
        More variables to set.

    Returns
    -------
    dict
        This process's environment (``OPENBLAS_*`` settings included, untouched) with
        ``NUMBA_CACHE_DIR`` set and the repository root first on ``PYTHONPATH``.
    """
    path = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "NUMBA_CACHE_DIR": cache_dir, "PYTHONPATH": os.pathsep.join(path),
            **(settings or {})}


def run_process(command, cache_dir, settings=None):
    """Run ``command`` from the repository root and time it.

    Parameters
    ----------
    command : list of str
        The process to start.
    cache_dir : str
        Its ``NUMBA_CACHE_DIR``.
    settings : dict or None
        More environment variables for it.

    Returns
    -------
    seconds : float
        Wall time from start to exit.
    stdout : str
        What it printed.

    Raises
    ------
    RuntimeError
        When the process fails; the message carries its standard error.
    """
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=child_environment(cache_dir, settings),
                          capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return seconds, done.stdout


def with_empty_cache(measure):
    """Call ``measure(cache_dir)`` with a new, empty cache directory, deleted afterwards."""
    cache_dir = tempfile.mkdtemp(prefix="fastmlp-first-run-")
    try:
        return measure(cache_dir)
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)


def process_row(key, label, command, settings=None):
    """Time a whole process on an empty cache, then again on the cache it filled.

    Parameters
    ----------
    key : str
        Identifier of the row.
    label : str
        Entry point as shown in the table.
    command : list of str
        The process.
    settings : dict or None
        More environment variables for it.

    Returns
    -------
    dict
        ``key``, ``label``, ``first`` (seconds on the empty cache) and ``second``
        (seconds of the second process).
    """
    def measure(cache_dir):
        first, _ = run_process(command, cache_dir, settings)
        second, _ = run_process(command, cache_dir, settings)
        return {"key": key, "label": label, "first": first, "second": second}

    return with_empty_cache(measure)


def child_rows(entry):
    """Time one entry point of ``first_run_child.py`` in its own process on an empty cache.

    Parameters
    ----------
    entry : str
        One of :data:`CHILD_ENTRIES`.

    Returns
    -------
    list of dict
        One row per call (``key``, ``label``, ``first``, ``second``); the first row also
        has ``process``, the wall time of the whole process. For ``mlp-float64`` a first
        row times ``import fastmlp``.
    """
    seconds, stdout = with_empty_cache(
        lambda cache_dir: run_process([sys.executable, str(CHILD), entry], cache_dir))
    report = json.loads(stdout.strip().splitlines()[-1])
    check_module(report["module"])
    rows = [{"key": f"{entry}/{index}", "label": label, "first": first, "second": second}
            for index, (label, first, second) in enumerate(report["calls"])]
    rows[0]["process"] = seconds
    if entry == "mlp-float64":
        rows.insert(0, {"key": "import", "label": "`import fastmlp`",
                        "first": report["import_seconds"], "second": None})
    return rows


def check_module(path):
    """Fail unless ``path`` (a ``fastmlp.__file__``) lies in this repository."""
    if not Path(path).resolve().is_relative_to(ROOT):
        raise RuntimeError(f"the processes import fastmlp from {path}, not from {ROOT}")


def measure_once(out_dir):
    """One run of every entry point.

    Parameters
    ----------
    out_dir : Path
        Where the demo and the scikit-learn script write their figures.

    Returns
    -------
    list of dict
        Rows in table order (see :func:`process_row` and :func:`child_rows`).
    """
    demo = [sys.executable, "-m", "fastmlp", "demo", "--out", str(out_dir / "demo.png")]
    script = [sys.executable, str(SKLEARN_SCRIPT), str(out_dir / "sklearn.png")]
    rows = [
        process_row("demo", "`fastmlp demo`, whole process", demo),
        process_row("demo-compiling", "`fastmlp demo` compiling for this machine "
                    "(`FASTMLP_PREBUILT=0`), whole process", demo, {"FASTMLP_PREBUILT": "0"}),
        process_row("sklearn", "scikit-learn script, whole process", script),
    ]
    if importlib.util.find_spec("jax") is not None:
        rows.append(process_row("jax", "JAX script, whole process",
                                [sys.executable, str(JAX_SCRIPT), str(out_dir / "jax.png")]))
    for entry in CHILD_ENTRIES:
        rows.extend(child_rows(entry))
    rows.append(process_row("help", "`fastmlp --help`, whole process",
                            [sys.executable, "-m", "fastmlp", "--help"]))
    return rows


def median_rows(runs):
    """Rows whose times are the medians over ``runs`` (lists of rows in the same order)."""
    rows = []
    for same in zip(*runs, strict=True):
        row = dict(same[0])
        for field in ("first", "second", "process"):
            if row.get(field) is not None:
                row[field] = statistics.median(entry[field] for entry in same)
        rows.append(row)
    return rows


def machine():
    """What the times depend on: CPU, vector width, BLAS kernel, versions, commit, date.

    Returns
    -------
    dict
        ``date``, ``commit`` (see :func:`commit`), ``cpu``, ``vector_width``
        (``"AVX-512"`` when the CPU flags include ``avx512f``, else ``"AVX2"`` or
        ``"no AVX2"``), ``cores``, ``llvm_cpu`` (the target Numba compiles for), ``blas``
        (``internal_api``, ``architecture`` and ``version`` of each BLAS threadpoolctl
        finds once numpy is imported), the ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE``
        settings, and ``versions``.
    """
    cpu, flags = "unknown CPU", set()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                name, _, value = line.partition(":")
                if name.strip() == "model name" and cpu == "unknown CPU":
                    cpu = value.strip()
                elif name.strip() == "flags" and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    vector_width = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"

    import llvmlite.binding
    import numpy  # noqa: F401  (threadpoolctl lists the BLAS numpy loaded)
    from threadpoolctl import threadpool_info

    blas = [{field: library.get(field) for field in ("internal_api", "architecture", "version")}
            for library in threadpool_info() if library.get("user_api") == "blas"]
    versions = {"python": platform.python_version()}
    for package in ("numpy", "numba", "llvmlite", "scikit-learn", "jax", "jaxlib"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return {
        "date": date.today().isoformat(),
        "commit": commit(),
        "cpu": cpu,
        "vector_width": vector_width,
        "cores": os.cpu_count(),
        "llvm_cpu": llvmlite.binding.get_host_cpu_name(),
        "blas": blas,
        "openblas_env": {name: os.environ.get(name)
                         for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")},
        "versions": versions,
    }


def commit():
    """The code measured.

    Returns
    -------
    str
        Short hash of the repository's HEAD and, in parentheses, of the last commit that
        changed ``fastmlp/``, with ``+changes`` when ``fastmlp/`` has uncommitted changes;
        ``"unknown"`` without git.
    """
    def git(*arguments):
        return subprocess.run(["git", *arguments], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        package = git("log", "-1", "--format=%h", "--", "fastmlp")
        changed = git("status", "--porcelain", "--", "fastmlp")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head} (fastmlp/ as of {package}{'+changes' if changed else ''})"


def measure(repeats=1, progress=sys.stderr):
    """Measure every entry point ``repeats`` times.

    Parameters
    ----------
    repeats : int
        Runs of the whole set; the table shows medians.
    progress : file or None
        Where to say what is running.

    Returns
    -------
    dict
        ``machine`` (see :func:`machine`, plus ``load_average``: the one-minute load
        average before and after, as other work on the machine slows every process),
        ``repeats``, ``rows`` (medians) and ``runs`` (every run's rows).
    """
    description = machine()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="fastmlp-first-run-") as out:
        module = with_empty_cache(
            lambda cache_dir: run_process([sys.executable, "-c", WARM_UP], cache_dir))[1]
        check_module(module.strip())
        runs = []
        for index in range(repeats):
            if progress is not None:
                print(f"run {index + 1} of {repeats} ...", file=progress, flush=True)
            runs.append(measure_once(Path(out)))
    description["load_average"] = [load_before, os.getloadavg()[0]]
    return {"machine": description, "repeats": repeats, "rows": median_rows(runs),
            "runs": runs}


def format_seconds(seconds):
    """``'23.4 s'``, ``'12.3 ms'``, ``'56.2 µs'`` or ``'6.33 µs'``; empty for ``None``."""
    if seconds is None:
        return ""
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.3g} µs"


def markdown_table(results):
    """The medians as Markdown table lines, with the demo ÷ scikit-learn ratios.

    Parameters
    ----------
    results : dict
        What :func:`measure` returned.

    Returns
    -------
    list of str
    """
    lines = ["| entry point | first call, empty cache | second call | whole process, "
             "empty cache |", "|---|---|---|---|"]
    by_key = {row["key"]: row for row in results["rows"]}
    for row in results["rows"]:
        lines.append(f"| {row['label']} | {format_seconds(row['first'])} | "
                     f"{format_seconds(row['second'])} | {format_seconds(row.get('process'))} |")
        for demo_key, name in DEMOS.items():
            if row["key"] in PEERS and demo_key in by_key:
                demo = by_key[demo_key]
                lines.append(f"| ratio {name} ÷ {PEERS[row['key']]} | "
                             f"{demo['first'] / row['first']:.2f}× | "
                             f"{demo['second'] / row['second']:.2f}× | |")
    return lines


#: The rows the demo is compared with, and their names in the ratio lines.
PEERS = {"sklearn": "scikit-learn script", "jax": "JAX script"}
#: The demo's rows: with the kernels shipped compiled (where this machine is of a shipped
#: kind, :mod:`fastmlp._prebuilt`), and compiling every kernel for this machine.
DEMOS = {"demo": "`fastmlp demo`", "demo-compiling": "`fastmlp demo` compiling"}


def describe_machine(description):
    """One sentence: date, commit, CPU and vector width, cores, BLAS kernel, versions, load."""
    blas = "; ".join(f"{library['internal_api']} {library['version']} kernel "
                     f"{library['architecture']}" for library in description["blas"]) or "none"
    settings = ", ".join(f"{name}={value}" for name, value in
                         description["openblas_env"].items() if value is not None)
    versions = ", ".join(f"{name} {version}"
                         for name, version in description["versions"].items())
    load = description.get("load_average")
    load = f"; load average {load[0]:.1f} before, {load[1]:.1f} after" if load else ""
    return (f"{description['date']}, commit {description['commit']}, {description['cpu']} "
            f"({description['vector_width']}, LLVM target {description['llvm_cpu']}), "
            f"{description['cores']} cores; BLAS: {blas}"
            f"{f' ({settings})' if settings else ''}; {versions}{load}")


def main():
    """Parse the options, measure, print the table and save the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1,
                        help="runs of every entry point; the table shows medians "
                        "(default: %(default)s; each run takes a few minutes)")
    parser.add_argument("--json", type=Path, default=None, metavar="OUT.json",
                        help="also save the medians, every run and the machine here")
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    results = measure(args.repeats)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    print(f"Measured {describe_machine(results['machine'])}; medians of {args.repeats} "
          f"run{'s' if args.repeats > 1 else ''}.\n")
    print("\n".join(markdown_table(results)))


if __name__ == "__main__":
    main()
