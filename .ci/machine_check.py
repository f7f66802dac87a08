"""Print the machine the test suite is about to run as, and fail if the settings that
emulate another machine of this kind did not take: Numba's target CPU and features,
numpy's SIMD dispatch, OpenBLAS's kernels and Numba's thread count."""

import os
import sys

import numba
import numpy as np
import scipy.linalg.cython_blas  # noqa: F401  (loads the BLAS that Numba calls)
from threadpoolctl import threadpool_info

from fastmlp import _config, _prebuilt

codegen = numba.core.registry.cpu_target.target_context.codegen()
cpu, features = codegen._get_host_cpu_name(), codegen._get_host_cpu_features()
# numpy runs AVX-512 code through its dispatch targets (X86_V4, AVX512_ICL, ... in numpy 2;
# AVX512F, AVX512_SKX, ... before): a target is in use when the CPU has it and it is not
# disabled. The CPU's own feature flags (AVX512VL, AVX512BF16, ...) stay set either way.
simd = np._core._multiarray_umath
found = simd.__cpu_features__
avx512_in_numpy = sorted(target for target in simd.__cpu_dispatch__
                         if target.startswith(("AVX512", "X86_V4")) and found.get(target))
blas = sorted({lib["architecture"] for lib in threadpool_info() if lib["user_api"] == "blas"})
print(f"numba target {cpu}, {numba.config.NUMBA_NUM_THREADS} threads; numpy AVX-512 in use: "
      f"{avx512_in_numpy or 'none'}; OpenBLAS kernels: {blas}")
shipped = _prebuilt.targets_for(_config.kernel_sources_digest(), features)
print(f"fastmlp's kernels: {'shipped, for ' + shipped[0] if shipped else 'compiled for ' + cpu}")

problems = []
if os.environ.get("NUMBA_CPU_NAME") and cpu != os.environ["NUMBA_CPU_NAME"]:
    problems.append(f"Numba compiles for {cpu}, not {os.environ['NUMBA_CPU_NAME']}")
if "-avx512f" in os.environ.get("NUMBA_CPU_FEATURES", "") and "+avx512f" in features:
    problems.append("Numba still compiles with AVX-512")
if os.environ.get("NPY_DISABLE_CPU_FEATURES") and avx512_in_numpy:
    problems.append(f"numpy still dispatches to {avx512_in_numpy}")
if os.environ.get("OPENBLAS_CORETYPE") and blas != [os.environ["OPENBLAS_CORETYPE"]]:
    problems.append(f"OpenBLAS runs {blas}, not {os.environ['OPENBLAS_CORETYPE']}")
threads = os.environ.get("NUMBA_NUM_THREADS")
if threads and numba.config.NUMBA_NUM_THREADS != int(threads):
    problems.append(f"Numba has {numba.config.NUMBA_NUM_THREADS} threads, not {threads}")
if problems:
    sys.exit("the machine is not the one asked for: " + "; ".join(problems))
