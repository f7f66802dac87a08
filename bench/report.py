"""Run the benchmark suite and write its report.

    python bench/report.py [--out docs/benchmarks] [--skip-run] [--skip-first-run]
                           [--first-run-only] [--first-run-repeats N]

Runs ``pytest bench --benchmark-enable`` once (without ``OPENBLAS_CORETYPE`` and
``OPENBLAS_L2_SIZE``, which some machines set to hold OpenBLAS to older kernels; the
benchmark process records the BLAS kernel that ran and the CPU's vector width), saves
pytest-benchmark's JSON, and writes
``results.md`` (ratios against every peer, the targets, JAX's compile times, scaling, the
large workload's machine bound, memory) with ``ratios.png`` and ``scaling.png`` beside it.
Every ratio compares medians measured side by side in that one run.

It also runs ``bench/first_run.py`` (every entry point in a fresh process on an empty
compile cache), saves its JSON as ``first_run.json`` and adds its table as the section
"First run". ``--skip-first-run`` reuses the saved ``first_run.json``;
without that file the section already in ``results.md`` is kept. ``--first-run-only``
rewrites only that section of the existing ``results.md``.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
from first_run import format_seconds

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

FIRST_RUN_JSON = "first_run.json"
FIRST_RUN_HEADING = "## First run: empty compile cache"

# (group prefix, fastmlp entry, peer entry, the target: peer time / fastmlp time >= this)
TARGETS = [
    ("1 ", "bench_fastmlp[float64]", "bench_sheet_numpy", 6),
    ("1 ", "bench_fastmlp[float64]", "bench_sklearn", 20),
    ("1 ", "bench_fastmlp[float64]", "bench_pytorch", 40),
    ("1 ", "bench_fastmlp[float32]", "bench_sheet_numpy", 10),
    # JAX dtype for dtype: the full id, as best_of would take the faster of its two runs
    ("1 ", "bench_fastmlp[float64]", "bench_jax[float64]", 2),
    ("1 ", "bench_fastmlp[float32]", "bench_jax[float32]", 2),
    ("2 ", "bench_fastmlp[float64]", "bench_numpy", 50),
    ("2 ", "bench_fastmlp[float64]", "bench_pytorch", 50),
    ("2 ", "bench_fastmlp[float64]", "bench_jax[float64]", 2),
    ("2 ", "bench_fastmlp[float32]", "bench_jax[float32]", 2),
    ("3 ", "bench_fastmlp", "bench_sklearn", 5),
    ("3 ", "bench_fastmlp_estimator", "bench_sklearn", 5),
    ("3 ", "bench_fastmlp", "bench_jax", 2),
    ("4 large: 60000", "bench_fastmlp", "bench_pytorch", 1.0),
    ("4 large: 60000", "bench_fastmlp", "bench_jax", 1.3),
    ("6 ", "bench_startup[fastmlp]", "bench_startup[sklearn]", 0.5),
    ("7 ", "bench_fastmlp", "bench_pytorch", 50),
    ("8 ", "bench_threads[fastmlp-two-threads]", "bench_threads[fastmlp-one-after-another]",
     1.5),
    # Prediction: one row through MLP no slower than onnxruntime, through the estimator
    # within 2x of it; 10,000 rows through the estimator 1.5x scikit-learn and at least
    # onnxruntime.
    *(target
      for dtype in ("float64", "float32")
      for target in (
          (f"10 predict: 40-128-64-5 relu, 1 row, {dtype}", f"bench_fastmlp[{dtype}-1]",
           f"bench_onnxruntime[{dtype}-1]", 1.0),
          (f"10 predict: 40-128-64-5 relu, 1 row, {dtype}",
           f"bench_fastmlp_estimator[{dtype}-1]", f"bench_onnxruntime[{dtype}-1]", 0.5),
          (f"10 predict: 40-128-64-5 relu, 10000 rows, {dtype}",
           f"bench_fastmlp_estimator[{dtype}-10000]", f"bench_sklearn[{dtype}-10000]", 1.5),
          (f"10 predict: 40-128-64-5 relu, 10000 rows, {dtype}",
           f"bench_fastmlp_estimator[{dtype}-10000]", f"bench_onnxruntime[{dtype}-10000]",
           1.0),
      )),
    *(target
      for table in ("covertype", "higgs", "regression", "deep")
      for target in (
          (f"9 table {table}", f"bench_fastmlp[float64-{table}]", f"bench_sklearn[{table}]", 5),
          (f"9 table {table}", f"bench_fastmlp[float32-{table}]", f"bench_sklearn[{table}]", 10),
          # float32 pays for itself; and within 2x of the same products done by BLAS alone
          (f"9 table {table}", f"bench_fastmlp[float32-{table}]",
           f"bench_fastmlp[float64-{table}]", 1.7),
          *((f"9 table {table}", f"bench_fastmlp[{dtype}-{table}]",
             f"bench_blas_floor[{dtype}-{table}]", 0.5) for dtype in ("float64", "float32")),
          *((f"9 table {table}", f"bench_fastmlp[{dtype}-{table}]",
             f"bench_jax[{dtype}-{table}]", 2) for dtype in ("float64", "float32")),
      )),
]


#: Settings some machines make to hold OpenBLAS to older kernels. A user's machine would not
#: have them, and PyTorch ignores them, so the benchmark process runs without them (the
#: tests and CI keep them).
OPENBLAS_SETTINGS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def run_suite(json_path):
    command = [sys.executable, "-m", "pytest", str(BENCH), "--benchmark-enable",
               f"--benchmark-json={json_path}", "-q"]
    environment = {name: value for name, value in os.environ.items()
                   if name not in OPENBLAS_SETTINGS}
    subprocess.run(command, check=True, cwd=BENCH.parent, env=environment)


def medians(results):
    """{group: {name: median seconds}} and {name: extra_info} from pytest-benchmark's JSON."""
    groups, extra = {}, {}
    for entry in results["benchmarks"]:
        groups.setdefault(entry["group"], {})[entry["name"]] = entry["stats"]["median"]
        extra[(entry["group"], entry["name"])] = entry.get("extra_info", {})
    return groups, extra


def find_group(groups, prefix):
    return next((group for group in groups if group.startswith(prefix)), None)


def short_group(group):
    """'1 two-moons job: 2-10-1 ...' -> '1 two-moons job';
    'tanh float64 (3500 elements)' -> 'tanh float64'."""
    return group.split(":")[0].split(" (")[0]


def short_name(name):
    """'bench_sklearn' -> 'sklearn'; 'bench_x[exp-float32-numpy]' -> 'numpy';
    'bench_jax[float32]' -> 'jax float32'."""
    name = name.removeprefix("bench_")
    if "[" in name:
        function, ids = name.split("[", 1)
        name = ids.rstrip("]").split("-")[-1]
        if name in ("float64", "float32"):
            name = f"{function} {name}"
    return name


def ratio_table(groups):
    """Markdown lines: every workload group, each entry's median and speed-up of fastmlp."""
    lines = ["| workload | implementation | median | peer ÷ fastmlp (float64 where run) |",
             "|---|---|---|---|"]
    bars = []
    for group in sorted(groups):
        if group.startswith("5 ") or "matmul" in group or "floor" in group:
            continue
        entries = groups[group]
        own_names = [name for name in entries if "fastmlp" in name]
        # Like for like: peers run in float64 unless stated, so compare with fastmlp's
        # float64 entry where there is one.
        own = next((name for name in own_names if "float64" in name), own_names[0])
        for name, seconds in sorted(entries.items(), key=lambda item: item[1]):
            is_own = "fastmlp" in name
            speedup = "" if is_own else f"{seconds / entries[own]:.1f}×"
            lines.append(f"| {group} | {name} | {format_seconds(seconds)} | {speedup} |")
            if not is_own:
                bars.append((f"{short_group(group)}: {short_name(name)}", seconds / entries[own]))
    return lines, bars


def best_of(entries, name):
    """The entry called ``name``, or the fastest of its parametrised runs (``name[...]``,
    such as a peer at each thread count): ``(name, seconds)``, or None."""
    runs = {entry: seconds for entry, seconds in entries.items()
            if entry == name or entry.startswith(name + "[")}
    return min(runs.items(), key=lambda item: item[1]) if runs else None


def target_table(groups, extra):
    lines = ["| workload | comparison | target | measured | met |", "|---|---|---|---|---|"]
    for prefix, own, peer, target in TARGETS:
        group = find_group(groups, prefix)
        best = best_of(groups[group], peer) if group is not None else None
        if group is None or own not in groups[group] or best is None:
            lines.append(f"| {prefix.strip()} | {own} vs {peer} | ≥ {target}× | not run | |")
            continue
        peer, peer_seconds = best
        measured = peer_seconds / groups[group][own]
        shown = f"{measured:.2f}×"
        paired = extra[(group, peer)].get("paired", {}).get(own)
        if paired is not None:
            shown = f"{paired['ratio']:.2f}× paired ({measured:.2f}× between the entries)"
            measured = paired["ratio"]
        met = "yes" if measured >= target else "**no**"
        lines.append(f"| {group} | {own} vs {peer} | ≥ {target}× | {shown} | {met} |")
    return [
        "Where a comparison is paired, the peer's entry ran fastmlp's entry for the same "
        "job before each of its own rounds, so that the two alternated under the same load; "
        "\"paired\" is the median of the round-by-round ratios, and decides the target. "
        "The ratio between the two entries' medians, timed minutes apart, is given beside "
        "it. Every comparison is paired but start-up's (a whole process per round): "
        "training runs alternate run by run, predictions batch of calls by batch of calls, "
        "and each side runs untimed for 0.3 s before each timed run, so that a timed run "
        "follows its own work, not the other side's.",
        "",
        *lines,
    ]


def jax_compile_section(groups, extra):
    """Markdown lines: each JAX entry's XLA compile time beside its median run time."""
    rows = [(group, name, extra[(group, name)]["compile_seconds"], seconds)
            for group in sorted(groups) for name, seconds in groups[group].items()
            if name.startswith("bench_jax") and "compile_seconds" in extra[(group, name)]]
    if not rows:
        return ["JAX was not run."]
    lines = [
        "XLA compiles each JAX entry's whole training run once, before its timed rounds "
        "(tracing and lowering included); the medians exclude it. A JAX user pays it "
        "again in every new process, as JAX keeps no compile cache by default.",
        "",
        "| workload | entry | compile | median run | compile ÷ run |",
        "|---|---|---|---|---|",
    ]
    for group, name, compile_seconds, seconds in rows:
        lines.append(f"| {group} | {name} | {format_seconds(compile_seconds)} | "
                     f"{format_seconds(seconds)} | {compile_seconds / seconds:.1f}× |")
    return lines


def epoch_floor_section(groups, extra):
    """Markdown lines: the two-moons epoch against its floor (``bench_epoch_floor.py``)."""
    from bench_epoch_floor import epoch_floor, paired_floor

    job = find_group(groups, "1 two-moons job")
    lines = ["| dtype | tanh | head | multiply-adds | floor | fastmlp's epoch | ÷ floor | "
             "paired: floor | epoch | ÷ floor | ≤ 1.5× |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for dtype in ("float64", "float32"):
        measured = epoch_floor(groups, extra, dtype)
        own = f"bench_fastmlp[{dtype}]"
        if measured is None or job is None or own not in groups[job]:
            return ["Not run."]
        floor, pieces = measured
        epoch = groups[job][own] / int(job.split(" epochs")[0].split()[-1])
        paired = paired_floor(groups, extra, dtype)
        decided = epoch / floor if paired is None else paired["ratio"]
        paired_cells = ("not run | | " if paired is None else
                        f"{format_seconds(paired['floor_seconds'])} | "
                        f"{format_seconds(paired['epoch_seconds'])} | {paired['ratio']:.2f}×")
        lines.append(
            f"| {dtype} | {format_seconds(pieces['tanh'])} | {format_seconds(pieces['head'])} "
            f"| {format_seconds(pieces['multiply-adds'])} | {format_seconds(floor)} | "
            f"{format_seconds(epoch)} | {epoch / floor:.2f}× | {paired_cells} | "
            f"{'yes' if decided <= 1.5 else '**no**'} |")
    return ["An epoch of workload 1 cannot take less than its tanh, its head's `exp(-|z|)` "
            "and `log1p` of that, and its multiply-adds at one core's matrix-product rate, "
            "each at the fastest this machine offers (`bench/bench_epoch_floor.py`; the "
            "derivation is on the page \"From column vectors to fast kernels\"). The first "
            "columns take each piece's median and fastmlp's from their own entries; the "
            "paired columns alternate the fit and the pieces round by round (medians of the "
            "rounds, and of the round-by-round ratios), which decides the target.", "", *lines]


def scaling_section(groups, extra, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lines = ["| width | n | time | time ÷ time at n/10 |", "|---|---|---|---|"]
    fig, axes = plt.subplots(figsize=(6, 4.5))
    worst = 0.0
    scaling_groups = [g for g in groups if g.startswith("5 ")]
    for group in sorted(scaling_groups, key=lambda g: next(iter(extra_widths(extra, g)))):
        points = sorted((extra[(group, name)]["n_samples"], seconds, extra[(group, name)]["width"])
                        for name, seconds in groups[group].items())
        sizes = [n for n, _, _ in points]
        times = [t for _, t, _ in points]
        axes.loglog(sizes, times, "o-", label=f"width {points[0][2]}")
        for index, (n, seconds, width) in enumerate(points):
            growth = ""
            if index:
                factor = seconds / times[index - 1]
                growth = f"{factor:.1f}×"
                if n > 10_000:
                    worst = max(worst, factor)
            lines.append(f"| {width} | {n:,} | {format_seconds(seconds)} | {growth} |")
    axes.set(xlabel="training samples n", ylabel="one epoch (s)",
             title="fastmlp: 2-w-w-1 tanh, batch 256, one epoch")
    axes.legend()
    axes.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "scaling.png", dpi=110)
    plt.close(fig)
    lines.append("")
    lines.append(f"Largest growth for a 10× step in n from n = 10⁴ on: {worst:.1f}× "
                 f"(target ≤ 11×: {'met' if worst <= 11 else '**not met**'}).")
    lines.append("Each epoch reshuffles the samples: once the data and the order array leave "
                 "the caches, the Fisher-Yates shuffle and the gathers of shuffled rows wait on "
                 "memory, which shows most at width 8, where each sample costs the least "
                 "arithmetic.")
    return lines


def extra_widths(extra, group):
    return {info["width"] for (g, _), info in extra.items() if g == group}


def bound_section(groups, extra):
    large = find_group(groups, "4 large: 60000")
    rate_group = find_group(groups, "4 large: float32 matmul")
    if large is None or rate_group is None:
        return []
    rate = extra[(rate_group, "bench_matmul_rate")]["flops"] / groups[rate_group][
        "bench_matmul_rate"]
    flops = extra[(large, "bench_fastmlp")]["flops"]
    bound = flops / rate
    measured = groups[large]["bench_fastmlp"]
    return [
        f"float32 matrix-product rate here: {rate / 1e9:.0f} GFLOP/s (2048² numpy matmul); "
        f"one epoch of workload 4 is {flops / 1e9:.1f} GFLOP, so the bound is "
        f"{format_seconds(bound)}; fastmlp takes {format_seconds(measured)}, "
        f"{measured / bound:.2f}× the bound (target ≤ 1.5×: "
        f"{'met' if measured / bound <= 1.5 else '**not met**'}).",
    ]


def memory_section():
    from bench_memory import measure_memory

    figures = {key: value / (1 << 20) for key, value in measure_memory().items()}
    growth = figures["peak_bytes"] - figures["before_fit_bytes"]
    return [
        f"Workload 4 in a fresh process: data {figures['data_bytes']:.0f} MB; resident before "
        f"`fit` (Python, numpy, Numba, kernels, SciPy's BLAS, data) "
        f"{figures['before_fit_bytes']:.0f} MB; peak during `fit` {figures['peak_bytes']:.0f} "
        f"MB, so training itself added {growth:.0f} MB (allowance 200 MB).",
    ]


def bar_chart(bars, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [label for label, _ in bars]
    values = [value for _, value in bars]
    fig, axes = plt.subplots(figsize=(8, 0.35 * len(bars) + 1.4))
    axes.barh(labels, values, color="#0877bd")
    axes.set_xscale("log")
    axes.axvline(1.0, color="k", lw=0.8)
    axes.invert_yaxis()
    axes.set(xlabel="peer time ÷ fastmlp time (higher: fastmlp faster)",
             title="fastmlp against its peers")
    for y_position, value in enumerate(values):
        axes.text(value, y_position, f" {value:.1f}×", va="center", fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "ratios.png", dpi=110)
    plt.close(fig)


def measured_on(results):
    """The machine facts the benchmark process recorded (vector width, BLAS kernel), or, for
    results saved before it recorded them, those of this process."""
    from first_run import describe_machine

    recorded = results.get("machine_info", {}).get("measured_on")
    return describe_machine(recorded) if recorded else machine()


def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next(line.split(":", 1)[1].strip() for line in cpuinfo
                         if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import numba
    import sklearn

    versions = f"numpy {np.__version__}, numba {numba.__version__}, scikit-learn " \
               f"{sklearn.__version__}"
    try:
        import torch

        versions += f", torch {torch.__version__}"
    except ImportError:
        versions += ", torch not installed"
    return (f"{date.today().isoformat()}, {model}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}; {versions}")


def table_floor_section(groups):
    """How far scikit-learn and fastmlp are from the matrix products alone, per table.

    scikit-learn's time over the floor is the ratio to scikit-learn that the same updates
    reach with the products run as fast as numpy's BLAS runs them; beyond it, the products
    themselves must run faster.
    """
    lines = [
        "The floor is the matrix products of scikit-learn's backpropagation alone, done by "
        "numpy's BLAS at the same shapes in the same run (2 BLAS threads, no elementwise "
        "work, no gathering of shuffled rows). scikit-learn ÷ floor is the ratio to "
        "scikit-learn that the same updates reach when their products run as fast as numpy's "
        "BLAS runs them; to go beyond it, the products themselves must run faster (fastmlp "
        "÷ floor below 1), as they do when fastmlp splits each batch across the cores.",
        "",
        "| table | dtype | floor | fastmlp ÷ floor | scikit-learn ÷ floor |",
        "|---|---|---|---|---|",
    ]
    for group in sorted(name for name in groups if name.startswith("9 table ")):
        table = group.split(":")[0].removeprefix("9 table ")
        entries = groups[group]
        sklearn = entries.get(f"bench_sklearn[{table}]")
        for dtype in ("float64", "float32"):
            floor = entries.get(f"bench_blas_floor[{dtype}-{table}]")
            own = entries.get(f"bench_fastmlp[{dtype}-{table}]")
            if floor is None or own is None or sklearn is None:
                continue
            lines.append(f"| {table} | {dtype} | {format_seconds(floor)} | {own / floor:.2f} | "
                         f"{sklearn / floor:.2f} |")
    return lines


def write_report(results, out):
    groups, extra = medians(results)
    lines, bars = ratio_table(groups)
    report = [
        "# Benchmark results",
        "",
        f"Measured {measured_on(results)}.",
        "Medians of repeated runs, compile time excluded, every implementation in the same "
        "run; rerun with `python bench/report.py`.",
        "",
        "## Targets",
        "",
        *target_table(groups, extra),
        "",
        "## JAX: compile time beside run time",
        "",
        *jax_compile_section(groups, extra),
        "",
        "## All workloads",
        "",
        "![ratios](ratios.png)",
        "",
        *lines,
        "",
        "## The two-moons epoch against its floor",
        "",
        *epoch_floor_section(groups, extra),
        "",
        "## Large workload against the machine's bound",
        "",
        *bound_section(groups, extra),
        "",
        "## Tables against the BLAS floor",
        "",
        *table_floor_section(groups),
        "",
        "## Scaling in n",
        "",
        "![scaling](scaling.png)",
        "",
        *scaling_section(groups, extra, out),
        "",
        "## Memory",
        "",
        *memory_section(),
        "",
        *(first_run_section(out / FIRST_RUN_JSON) or saved_first_run_section(out)),
    ]
    bar_chart(bars, out)
    (out / "results.md").write_text("\n".join(report))



def measure_first_run(json_path, repeats):
    """Run ``bench/first_run.py``'s measurement and save its results to ``json_path``."""
    from first_run import measure

    json_path.write_text(json.dumps(measure(repeats), indent=1) + "\n")


def first_run_section(json_path):
    """Markdown lines of the first-run section from ``first_run.py``'s JSON (none if absent)."""
    if not json_path.exists():
        return []
    from first_run import COMMAND, describe_machine, markdown_table

    results = json.loads(json_path.read_text())
    repeats = results["repeats"]
    runs = f"median of {repeats} runs" if repeats > 1 else "one run"
    return [
        FIRST_RUN_HEADING,
        "",
        "What a new user waits for: every entry point in a fresh process with a new, empty "
        "`NUMBA_CACHE_DIR`, so the times include getting the kernels ready (the sections "
        "above exclude it): loading those fastmlp ships compiled for x86-64-v4 and x86-64-v3 "
        "where this machine is of such a kind, or compiling them for this machine; the demo "
        "is also timed compiling every kernel for this machine (`FASTMLP_PREBUILT=0`). "
        "*First call* is the entry point's first call in that process, *second "
        "call* the same call again in the same process. For whole processes, the second is "
        "another process on the cache the first one filled (the scikit-learn script, "
        "`bench/sklearn_moons_script.py`, compiles nothing and simply runs again; the JAX "
        "script, `bench/jax_moons_script.py`, the same job as one `jax.jit` function with a "
        "`lax.fori_loop` over the epochs, compiles it again in every process, as JAX keeps "
        "no compile cache by default). The last column is the wall time of the process that "
        "made the calls beneath it, from start to exit.",
        "",
        f"Measured {describe_machine(results['machine'])}; {runs}. Reproduce with "
        f"`{COMMAND}{f' --repeats {repeats}' if repeats > 1 else ''}` (or "
        "`python bench/report.py --first-run-only`, which also rewrites this section).",
        "",
        *markdown_table(results),
        "",
    ]


def section_bounds(text):
    """Start and end of the first-run section in ``text``; ``(-1, -1)`` when it has none."""
    start = text.find(FIRST_RUN_HEADING)
    if start < 0:
        return -1, -1
    end = text.find("\n## ", start + len(FIRST_RUN_HEADING))
    return start, len(text) if end < 0 else end + 1


def saved_first_run_section(out):
    """The first-run section of the ``results.md`` in ``out`` as it stands, as lines.

    Keeps the measured table when the report is rewritten without ``first_run.json``.
    """
    path = out / "results.md"
    text = path.read_text() if path.exists() else ""
    start, end = section_bounds(text)
    return text[start:end].rstrip("\n").split("\n") + [""] if start >= 0 else []


def update_first_run_section(results_path, json_path):
    """Replace the first-run section of ``results_path`` (or append it), leaving the rest."""
    if not json_path.exists():
        sys.exit(f"{json_path} not found: run without --skip-first-run to measure it")
    text = results_path.read_text() if results_path.exists() else "# Benchmark results\n"
    section = "\n".join(first_run_section(json_path))
    start, end = section_bounds(text)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        rest = text[end:]
        text = text[:start] + section + ("\n" + rest if rest else "")
    results_path.write_text(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=BENCH.parent / "docs" / "benchmarks")
    parser.add_argument("--skip-run", action="store_true",
                        help="reuse the saved benchmark.json instead of running the suite")
    parser.add_argument("--skip-first-run", action="store_true",
                        help=f"reuse the saved {FIRST_RUN_JSON} instead of running "
                        "bench/first_run.py")
    parser.add_argument("--first-run-only", action="store_true",
                        help="only rewrite the first-run section of results.md")
    parser.add_argument("--first-run-repeats", type=int, default=1, metavar="N",
                        help="runs of bench/first_run.py, median shown (default: %(default)s)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    first_run_json = args.out / FIRST_RUN_JSON
    if args.first_run_only:
        if not args.skip_first_run:
            measure_first_run(first_run_json, args.first_run_repeats)
        update_first_run_section(args.out / "results.md", first_run_json)
        print(f"wrote the first-run section of {args.out / 'results.md'}")
        return
    json_path = args.out / "benchmark.json"
    if not args.skip_run:
        run_suite(json_path)
        results = json.loads(json_path.read_text())
        for entry in results["benchmarks"]:  # keep the statistics, drop every raw timing
            entry["stats"].pop("data", None)
        json_path.write_text(json.dumps(results, indent=1))
    if not args.skip_first_run:
        measure_first_run(first_run_json, args.first_run_repeats)
    write_report(json.loads(json_path.read_text()), args.out)
    print(f"wrote {args.out / 'results.md'}")


if __name__ == "__main__":
    main()
