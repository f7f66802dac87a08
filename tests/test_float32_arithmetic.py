"""float32 networks compute in float32: no float64 work in the float32 kernels.

A Python float literal, an int/float mix or a float64 function inside a kernel would
silently promote float32 work to float64; the optimised LLVM IR of each kernel,
specialised for float32, shows any such operation: a conversion to ``double``
(``fpext``, ``sitofp``), arithmetic or a comparison on ``double``, or a call taking or
returning one (``llvm.exp.f64``, ``llvm.fma.f64``, ...).

The kernels checked here are the ones that must be pure float32: the activations, the
dense products, the heads, the sparse first layer, dropout, the elementary functions, the
forward and backward passes, inference, the penalty and the updates. Two places keep
float64 on purpose and are not checked whole: the batch driver and the training loop sum
the loss in float64 (bookkeeping, one addition per part or batch), and Adam computes its
step size in float64 once per step.
"""

import re

import numba
import numpy as np
import pytest

from fastmlp._kernels import activations, dense, heads, mathfn, network, optim

F32 = np.float32

#: The float64 type or a float64 intrinsic (llvm.exp.f64, llvm.fma.v4f64, ...).
FLOAT64 = re.compile(r"\bdouble\b|\.(?:v\d+)?f64\b")
#: float64 arithmetic, the only float64 work that Numba's wrappers must not do either.
FLOAT64_ARITHMETIC = re.compile(r"= (?:fadd|fsub|fmul|fdiv|frem|fneg)[^=\n]* double")
FUNCTION = re.compile(r'^define [^\n]*?@"?([^\s("]+)"?\(.*?^}', re.MULTILINE | re.DOTALL)


def compiled_functions(kernel, *args):
    """The functions of ``kernel`` compiled for ``args`` (no disk cache), from its optimised
    LLVM IR: ``(body, is_wrapper)`` pairs, one per function defined in the module (the
    kernel, every kernel it calls, and Numba's Python and C wrappers around it)."""
    options = {key: value for key, value in kernel.targetoptions.items()
               if key not in ("cache", "nopython")}
    fresh = numba.njit(**options)(kernel.py_func)
    fresh(*args)
    signature = fresh.signatures[-1]
    description = fresh.overloads[signature].fndesc
    wrappers = {description.llvm_cpython_wrapper_name, description.llvm_cfunc_wrapper_name}
    ir = fresh.inspect_llvm(signature)
    functions = [(match.group(0), match.group(1) in wrappers) for match in FUNCTION.finditer(ir)]
    assert sum(not is_wrapper for _, is_wrapper in functions) >= 1
    assert sum(is_wrapper for _, is_wrapper in functions) == 2
    return functions


def float64_operations(kernel, *args):
    """The float64 work in ``kernel`` compiled for ``args``.

    In the kernel and everything it calls, every instruction that names ``double`` or a
    float64 intrinsic: conversions to float64, float64 arithmetic, comparisons, loads and
    stores, and calls taking or returning float64. Numba's wrappers convert scalar
    arguments and results through C doubles, so in them float64 arithmetic counts only.
    """
    operations = []
    for body, is_wrapper in compiled_functions(kernel, *args):
        pattern = FLOAT64_ARITHMETIC if is_wrapper else FLOAT64
        lines = body.splitlines()[1:]  # the instructions, not the signature
        operations += [line.strip() for line in lines if pattern.search(line)]
    return operations


def z(shape=(4, 8)):
    return np.linspace(-1, 1, np.prod(shape), dtype=F32).reshape(shape)


def scratch():
    return np.ones((5, 8), F32)


# A float32 network [3, 5, 4, 2] (tanh, relu, softmax + cross-entropy) in the kernels'
# layout, for batches of up to CAPACITY samples.
SIZES = np.array([3, 5, 4, 2], dtype=np.int64)
CAPACITY = 8
CODES = np.array([activations.TANH, activations.RELU], dtype=np.int64)


def layout():
    """theta, w_offsets, a_offsets and one row of acts/deltas work buffers."""
    per_layer = SIZES[:-1] * SIZES[1:] + SIZES[1:]
    w_offsets = np.concatenate(([0], np.cumsum(per_layer)[:-1])).astype(np.int64)
    a_offsets = np.concatenate(([0], np.cumsum(SIZES * CAPACITY)[:-1])).astype(np.int64)
    theta = np.linspace(-1, 1, per_layer.sum(), dtype=F32)
    buffer = np.linspace(-1, 1, SIZES.sum() * CAPACITY, dtype=F32)
    return theta, w_offsets, a_offsets, buffer


#: Dropout on every hidden layer, so that its masks are checked too.
DROPOUT = (np.full(len(SIZES) - 2, 0.25, F32), np.array([12345], dtype=np.uint64))
#: Dense rows: a row-major X and empty CSR arrays.
NO_CSR = (np.empty(0, F32), np.empty(0, np.int64), np.empty(0, np.int64))


def network_layout(w_offsets):
    """The kernels' ``layout`` of the float32 network, its steps compiled for float32."""
    steps = network.network_steps(np.float32, CODES, heads.SOFTMAX_CE, blas=True, sparse=True,
                                  dropout=True)
    return w_offsets, SIZES, steps


def forward_args(blas_min_work):
    theta, w_offsets, a_offsets, acts = layout()
    return (theta, network_layout(w_offsets), a_offsets, acts, CAPACITY, blas_min_work,
            (z((CAPACITY, 3)), *NO_CSR), np.empty(0, np.int64), 0, DROPOUT, 3, False)


def backward_args(blas_min_work):
    theta, w_offsets, a_offsets, acts = layout()
    return (theta, np.zeros_like(theta), network_layout(w_offsets), a_offsets, acts,
            acts.copy(), CAPACITY, blas_min_work, (z((CAPACITY, 3)), *NO_CSR),
            np.empty(0, np.int64), 0, DROPOUT, 3, False, False)


def predict_args():
    theta, w_offsets, a_offsets, acts = layout()
    rows = (z((2 * CAPACITY + 3, 3)), *NO_CSR)
    return (theta, network_layout(w_offsets), a_offsets, rows, True,
            np.zeros((2 * CAPACITY + 3, 2), F32), acts, np.zeros((5, CAPACITY), F32))


def penalty_args():
    theta, w_offsets, _, _ = layout()
    return (theta, np.zeros_like(theta), w_offsets, SIZES, F32(0.1), F32(0.01))


def csr():
    """Three rows of a 4-column CSR matrix (the middle one empty), and their order."""
    return (np.array([0.5, -1.0, 2.0], F32), np.array([0, 3, 1], np.int64),
            np.array([0, 2, 2, 3], np.int64), np.array([2, 0, 1], np.int64))


def values():
    return np.linspace(-30, 30, 64, dtype=F32), np.zeros(64, F32)


PURE_FLOAT32_KERNELS = {
    **{
        f"activate {name}": (activations.STEPS[code][0], lambda: (z(),))
        for name, code in activations.ACTIVATION_CODES.items() if code != activations.LINEAR
    },
    **{
        f"derivative {name}": (activations.STEPS[code][1], lambda: (z(), z()))
        for name, code in activations.ACTIVATION_CODES.items() if code != activations.LINEAR
    },
    **{
        f"backpropagate through {name}": (activations.STEPS[code][2],
                                          lambda: (z((3, 4)), z((3, 8)), z(), z()))
        for name, code in activations.ACTIVATION_CODES.items()
    },
    **{
        f"affine{form}": (kernel, lambda: (z((3, 4)), z((3,)), z(), z((3, 8))))
        for form, kernel in (("", dense.affine_forward), (" in BLAS", dense.blas_affine_forward))
    },
    "affine on rows in BLAS": (dense.blas_rows_forward,
                               lambda: (z((3, 4)), z((3,)), z((8, 4)), z((3, 8)))),
    **{
        f"weight gradient{form}": (kernel, lambda: (z((3, 8)), z(), z((3, 4)), z((3,))))
        for form, kernel in (("", dense.weight_gradient),
                             (" in BLAS", dense.blas_weight_gradient))
    },
    "weight gradient on rows in BLAS": (dense.blas_rows_weight_gradient,
                                        lambda: (z((3, 8)), z((8, 4)), z((3, 4)), z((3,)))),
    **{
        f"backpropagate{form}": (kernel, lambda: (z((3, 4)), z((3, 8)), z()))
        for form, kernel in (("", dense.backpropagate), (" in BLAS", dense.blas_backpropagate))
    },
    **{
        f"{output} {loss} loss and delta": (heads.STEPS[code][0],
                                             lambda: (z(), z(), z(), scratch()))
        for (loss, output), code in heads.HEAD_CODES.items()
    },
    **{
        f"{output} output": (heads.STEPS[code][1], lambda: (z(), scratch()))
        for (_, output), code in heads.HEAD_CODES.items() if heads.STEPS[code][1] is not None
    },
    "sparse product": (network.sparse_affine_forward,
                       lambda: (z((3, 4)), z((3,)), *csr(), 0, 3, z((3, 3)))),
    "sparse weight gradient": (network.sparse_weight_gradient,
                               lambda: (z((3, 3)), *csr(), 0, 3, z((3, 4)), z((3,)))),
    "drop units": (network.drop_units, lambda: (z(), 2, F32(0.25), np.uint64(7), 1)),
    "drop deltas": (network.drop_deltas, lambda: (z(), z(), 2, F32(0.25), np.uint64(7), 1)),
    **{
        f"mathfn {name}": (getattr(mathfn, f"{name}_array"), values)
        for name in ("exp", "tanh", "sigmoid", "log", "log1p", "log1p_unit", "softplus")
    },
    "forward": (network.forward, lambda: forward_args(dense.BLAS_MIN_WORK)),
    "forward without BLAS": (network.forward, lambda: forward_args(dense.NO_BLAS)),
    "backward": (network.backward, lambda: backward_args(dense.BLAS_MIN_WORK)),
    "backward without BLAS": (network.backward, lambda: backward_args(dense.NO_BLAS)),
    "predict": (network.predict, predict_args),
    "penalty": (optim.add_penalty, penalty_args),
    **{
        f"{name} update": (kernel, lambda: (*(np.ones(50, F32) for _ in range(4)),
                                            np.zeros(1, np.int64), F32(0.1), F32(0.9),
                                            F32(0.9), F32(0.999), F32(1e-8)))
        for name, kernel in (("sgd", optim.sgd_step), ("momentum", optim.momentum_step),
                             ("nesterov", optim.nesterov_step))
    },
}


@pytest.mark.parametrize("name", PURE_FLOAT32_KERNELS)
def test_float32_kernel_has_no_float64_operations(name):
    kernel, make_args = PURE_FLOAT32_KERNELS[name]
    assert float64_operations(kernel, *make_args()) == []


def test_float64_detection_sees_conversions_intrinsics_and_arithmetic():
    """The detector itself: each kind of float64 work in a float32 kernel is reported."""

    def float64_work(x, out):
        for i in range(x.size):
            wide = np.float64(x[i])  # fpext float to double
            out[i] = np.exp(wide) * 0.5 + np.sqrt(wide)  # intrinsics and arithmetic

    operations = "\n".join(float64_operations(numba.njit(float64_work), *values()))
    assert re.search(r"= fpext .*float.* to .*double", operations)
    assert re.search(r"= fmul .*double", operations)
    assert re.search(r"= fadd .*double", operations)
    assert re.search(r"call .*@llvm\.exp\.(?:v\d+)?f64\(", operations)
    assert re.search(r"call .*(?:@llvm\.sqrt\.(?:v\d+)?f64|@sqrt)\(", operations)


def test_float32_adam_uses_float64_only_for_its_step_size():
    theta = np.ones(50, F32)
    args = (theta, theta.copy(), theta.copy(), theta.copy(), np.zeros(1, np.int64), F32(0.1),
            F32(0.9), F32(0.9), F32(0.999), F32(1e-8))
    operations = float64_operations(optim.adam_step, *args)
    arithmetic = [op for op in operations if re.search(r"= (?:fadd|fsub|fmul|fdiv) ", op)]
    # Adam's bias correction lr sqrt(1 - b2^t) / (1 - b1^t) is one scalar per step,
    # computed in float64 and rounded once; the per-parameter loop is float32.
    assert 0 < len(arithmetic) <= 4
    assert not any("<" in op for op in operations)  # no vector (per-parameter) float64 op
    # Every float64 value is a step-size scalar: the float32 per-parameter arrays are
    # never read or written as float64.
    assert not any(re.search(r"(?:load|store) double", op) for op in operations)
