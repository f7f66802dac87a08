"""Where compiling goes: each kernel's own compile time, in one process, on an empty cache.

    python bench/compile_breakdown.py [--dtype float64 ...] [--top 30]

Runs the paths of ``fastmlp compile`` (``fastmlp.compiling.PATHS``) one after the other in
this process, compiling every kernel for this machine (the shipped kernels are switched
off and the cache is a new temporary directory), and prints each path's CPU seconds, then
the kernels by their *own* compile CPU time: the time of a kernel's compilation less that
of the kernels compiled inside it (the elementary functions a step calls, for instance).
CPU time, because the machine's other load changes wall time more; one process, so no
kernel is compiled twice. A trivial kernel's time (four arrays, one loop, the project's
settings, no cache) is printed as well: the part of each compile that does not depend on
the kernel.
"""

import argparse
import os
import subprocess
import sys
import tempfile

CHILD = r'''
import sys, time
from collections import defaultdict

import numba
import numpy as np
from numba.core import event


class OwnTime(event.Listener):
    """Each compilation's CPU time less that of the compilations nested in it."""

    def __init__(self):
        self.stack, self.own = [], defaultdict(float)

    def on_start(self, ev):
        now = time.process_time()
        if self.stack:
            self.stack[-1][1] += now - self.stack[-1][2]
        signature = ev.data.get("args")
        dtype = "float32" if "float32" in str(signature) else "float64"
        self.stack.append([f"{ev.data['dispatcher'].py_func.__qualname__} ({dtype})", 0.0, now])

    def on_end(self, ev):
        now = time.process_time()
        name, own, start = self.stack.pop()
        self.own[name] += own + now - start
        if self.stack:
            self.stack[-1][2] = now


def trivial_kernel_seconds(repeats=7):
    from fastmlp import _config

    arrays = (numba.typeof(np.zeros(4)),) * 4
    seconds = []
    for index in range(repeats):
        namespace = {}
        exec(f"def trivial_{index}(a, b, c, d):\n"
             "    for j in range(a.size):\n"
             "        a[j] += b[j] * c[j] - d[j]\n", namespace)
        kernel = numba.njit(**{**_config.JIT_OPTIONS, "cache": False})(
            namespace[f"trivial_{index}"])
        start = time.process_time()
        kernel.compile(arrays)
        seconds.append(time.process_time() - start)
    return float(np.median(seconds))


dtypes, top = sys.argv[1].split(","), int(sys.argv[2])
watch = OwnTime()
event.register("numba:compile", watch)
from fastmlp import compiling

total = 0.0
for path in compiling.PATHS:
    for dtype in dtypes:
        if dtype in path.dtypes:
            start = time.process_time()
            path.warm(dtype)
            seconds = time.process_time() - start
            total += seconds
            print(f"path {path.name:<16} {dtype:<8} {seconds:6.1f} s")
print(f"all paths              {total:6.1f} s CPU, {len(watch.own)} compilations")
print(f"trivial kernel          {trivial_kernel_seconds():6.2f} s CPU")
print("own compile CPU seconds, largest first:")
for name, seconds in sorted(watch.own.items(), key=lambda item: -item[1])[:top]:
    print(f"  {seconds:6.2f}  {name}")
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtype", action="append", choices=("float64", "float32"))
    parser.add_argument("--top", type=int, default=30, help="kernels to list")
    args = parser.parse_args()
    dtypes = args.dtype or ["float64", "float32"]
    with tempfile.TemporaryDirectory() as cache:
        environment = {**os.environ, "NUMBA_CACHE_DIR": cache, "FASTMLP_PREBUILT": "0"}
        subprocess.run([sys.executable, "-c", CHILD, ",".join(dtypes), str(args.top)],
                       env=environment, check=True)


if __name__ == "__main__":
    main()
