"""Per-element cost of the compiled elementary functions against numpy's ufuncs.

The array has 3,500 elements: the hidden-layer size of the two-moons experiment
(350 training points x 10 hidden units).
"""

import numpy as np
import pytest
import scipy.special

from fastmlp._kernels import mathfn

N_ELEMENTS = 3500

FUNCTIONS = {
    "exp": (mathfn.exp_array, np.exp, (-20.0, 20.0)),
    "tanh": (mathfn.tanh_array, np.tanh, (-5.0, 5.0)),
    "sigmoid": (mathfn.sigmoid_array, scipy.special.expit, (-20.0, 20.0)),
    "log": (mathfn.log_array, np.log, (1e-3, 1e3)),
}


@pytest.mark.parametrize("implementation", ["fastmlp", "numpy"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", FUNCTIONS)
def bench_elementary_function(benchmark, name, dtype, implementation):
    kernel, ufunc, (low, high) = FUNCTIONS[name]
    x = np.random.default_rng(0).uniform(low, high, N_ELEMENTS).astype(dtype)
    out = np.empty_like(x)
    call = kernel if implementation == "fastmlp" else (lambda x, out: ufunc(x, out=out))
    call(x, out)
    benchmark.group = f"{name} {dtype} ({N_ELEMENTS} elements)"
    benchmark(call, x, out)
    reference = ufunc(x.astype(np.float64))
    np.testing.assert_allclose(out, reference, rtol=1e-6 if dtype == "float32" else 1e-14)
