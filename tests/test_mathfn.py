"""Accuracy and limits of the vectorised elementary functions against numpy."""

import platform
import re

import numpy as np
import pytest
import scipy.special

from fastmlp._kernels import mathfn

# Relative error bounds of the contract: float64 1e-14, float32 1e-6.
BOUND = {np.float64: 1e-14, np.float32: 1e-6}


def whole_range(dtype, rng, low, high):
    """Uniform points, log-spaced magnitudes of both signs down to the subnormals, specials."""
    info = np.finfo(dtype)
    magnitudes = np.geomspace(info.smallest_subnormal, high, 20000)
    points = np.concatenate([
        rng.uniform(low, high, 20000),
        rng.uniform(-1e-3, 1e-3, 2000),
        magnitudes,
        -magnitudes,
        [0.0, -0.0, low, high],
    ])
    return points[(points >= low) & (points <= high)].astype(dtype)


def relative_error(got, want, dtype):
    """Max relative error where the reference is a normal number, else absolute/tiny."""
    got, want = got.astype(np.float64), want.astype(np.float64)
    tiny = np.finfo(dtype).tiny
    finite = np.isfinite(want)
    assert np.array_equal(np.isfinite(got), finite), "finite/infinite pattern differs"
    assert np.array_equal(got[~finite], want[~finite])
    denominator = np.maximum(np.abs(want[finite]), tiny)
    return np.max(np.abs(got[finite] - want[finite]) / denominator)


def logistic_reference(x):
    """numpy's exp on the side where it cannot overflow (scipy's expit flushes to 0 below
    -709.78, where the true value is still a subnormal number)."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


CASES = {
    # name: (kernel, float64 reference, input range)
    "exp": (mathfn.exp_array, np.exp, (-800.0, 800.0)),
    "tanh": (mathfn.tanh_array, np.tanh, (-1e5, 1e5)),
    "sigmoid": (mathfn.sigmoid_array, logistic_reference, (-800.0, 800.0)),
    "log": (mathfn.log_array, np.log, (0.0, 1e300)),
    "log1p": (mathfn.log1p_array, np.log1p, (0.0, 1e300)),
    "log1p_unit": (mathfn.log1p_unit_array, np.log1p, (0.0, 1.0)),
    "softplus": (mathfn.softplus_array, lambda x: np.logaddexp(0.0, x), (-800.0, 800.0)),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", CASES)
def test_relative_error_within_bound_over_whole_range(name, dtype, rng):
    kernel, reference, (low, high) = CASES[name]
    high = min(high, float(np.finfo(dtype).max) / 10)
    x = whole_range(dtype, rng, low, high)
    got = kernel(x, np.empty_like(x))
    assert got.dtype == dtype
    with np.errstate(over="ignore", under="ignore", divide="ignore"):
        want = reference(x.astype(np.float64)).astype(dtype)
    # For float32 the float64 reference is rounded to float32 (itself 0.5 ulp off).
    assert relative_error(got, want, dtype) <= BOUND[dtype]


def test_logistic_reference_agrees_with_scipy_where_scipy_is_not_flushed():
    x = np.linspace(-700, 700, 10001)
    np.testing.assert_allclose(logistic_reference(x), scipy.special.expit(x), rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_limits_for_large_arguments_and_specials(dtype):
    big = np.finfo(dtype).max
    x = np.array([np.nan, np.inf, -np.inf, big, -big, 1e4, -1e4], dtype=dtype)
    out = np.empty_like(x)
    np.testing.assert_array_equal(
        mathfn.exp_array(x, out), [np.nan, np.inf, 0, np.inf, 0, np.inf, 0]
    )
    np.testing.assert_array_equal(mathfn.tanh_array(x, out), [np.nan, 1, -1, 1, -1, 1, -1])
    np.testing.assert_array_equal(mathfn.sigmoid_array(x, out), [np.nan, 1, 0, 1, 0, 1, 0])
    np.testing.assert_array_equal(
        mathfn.softplus_array(x, out), [np.nan, np.inf, 0, big, 0, 1e4, 0]
    )
    logs = mathfn.log_array(np.array([0.0, -1.0, np.inf, np.nan, 1.0], dtype=dtype),
                            np.empty(5, dtype=dtype))
    np.testing.assert_array_equal(logs, [-np.inf, np.nan, np.inf, np.nan, 0.0])
    # log1p_unit's whole domain: its ends, and NaN passed through.
    units = mathfn.log1p_unit_array(np.array([np.nan, 0.0, 1.0], dtype=dtype),
                                    np.empty(3, dtype=dtype))
    np.testing.assert_array_equal(units, np.array([np.nan, 0.0, np.log(2.0)], dtype=dtype))


def test_tanh_keeps_relative_accuracy_near_zero():
    x = np.array([1e-300, 1e-20, 1e-9, -3e-5, 0.1733])
    np.testing.assert_allclose(mathfn.tanh_array(x, np.empty_like(x)), np.tanh(x), rtol=1e-15)


def test_exp_rounds_subnormal_results_like_numpy():
    x = np.linspace(-745.0, -708.5, 1001)
    np.testing.assert_allclose(mathfn.exp_array(x, np.empty_like(x)), np.exp(x), rtol=1e-12,
                               atol=5e-324)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_loops_use_the_widest_vectors_the_cpu_has(dtype):
    """The array functions are compiled asking LLVM for 512-bit vectors: on an AVX-512 CPU
    their loops run in zmm registers (8 float64 / 16 float32 lanes), elsewhere in the
    widest the CPU has. A fresh, uncached compile with tanh_array's own options, so that
    its code can be inspected."""
    import llvmlite.binding
    import numba

    from fastmlp._config import EXACT_JIT_OPTIONS
    from fastmlp._numba_internals import WIDE_VECTORS

    kernel = numba.njit(**{**EXACT_JIT_OPTIONS, "cache": False})(mathfn.tanh_array.py_func)
    x = np.linspace(-4.0, 4.0, 1001, dtype=dtype)
    out = np.empty_like(x)
    kernel(x, out)
    assert relative_error(out, np.tanh(x.astype(np.float64)), dtype) <= BOUND[dtype]
    signature = kernel.signatures[0]
    assert WIDE_VECTORS in kernel.inspect_llvm(signature)
    registers = set(re.findall(r"%([xyz]mm)\d+", kernel.inspect_asm(signature)))
    # The features Numba compiles for: NUMBA_CPU_FEATURES when set (another machine of
    # this kind, emulated), else the host's.
    if numba.config.CPU_FEATURES:
        features = {feature[1:]: feature[0] == "+"
                    for feature in numba.config.CPU_FEATURES.split(",")}
    else:
        features = llvmlite.binding.get_host_cpu_features()
    if features.get("avx512f", False):
        assert "zmm" in registers
    elif features.get("avx", False):
        assert "ymm" in registers and "zmm" not in registers


def _elementwise_steps():
    from fastmlp._kernels import activations, calls, heads, network

    steps = []
    for forward_map, derivative, through in activations.STEPS.values():
        steps += [(forward_map, calls.ACTIVATE), (derivative, calls.DERIVATIVE),
                  (through, calls.BACKPROPAGATE_THROUGH)]
    for loss, output in heads.STEPS.values():
        steps += [(loss, calls.LOSS_AND_DELTA), (output, calls.APPLY_OUTPUT)]
    steps += [(network.drop_units, calls.DROP_UNITS), (network.drop_deltas, calls.DROP_DELTAS)]
    return [(kernel, kind) for kernel, kind in steps if kernel is not None]


# A store under a mask: AVX's vmaskmovps/vmaskmovpd, or an AVX-512 move to memory with a
# mask register (AT&T syntax: the memory operand, then {%kN}).
MASKED_STORE = re.compile(r"^\s*(v(p)?maskmov\w*\s+%[xyz]mm\d+, %[xyz]mm\d+, [^%\s]*\(|"
                          r"vmov\w*\s+%[xyz]mm\d+, [^%\s]*\([^)]*\)\s*\{%k[1-7]\})",
                          re.MULTILINE)


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"),
                    reason="x86 vector stores")
@pytest.mark.parametrize("kernel, kind", _elementwise_steps(),
                         ids=lambda value: getattr(value, "__name__", str(value)))
def test_elementwise_steps_store_every_element_plainly(kernel, kind):
    """No elementwise step writes through a masked store, which AMD cores run many times
    slower than a plain one (mathfn.opaque). A fresh, uncached compile of each step with
    its own options, for the CPU Numba compiles for, so that its code can be inspected."""
    import numba

    from fastmlp._kernels import calls

    options = {key: value for key, value in kernel.targetoptions.items() if key != "nopython"}
    options["cache"] = False
    fresh = numba.njit(pipeline_class=kernel._compiler.pipeline_class, **options)(
        kernel.py_func)
    _, argument_types = calls._signature(kind, numba.float32)
    fresh.compile(argument_types)
    assembly = fresh.inspect_asm(argument_types)
    assert re.search(r"%[yz]mm\d+", assembly), "the step's loop is not vectorised"
    assert not MASKED_STORE.findall(assembly)
