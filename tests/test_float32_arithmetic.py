"""float32 networks compute in float32: no float64 arithmetic in the float32 kernels.

A Python float literal or an int/float mix inside a kernel would silently promote
float32 work to float64; the optimised LLVM IR of each kernel, specialised for float32,
shows any such operation.
"""

import re

import numba
import numpy as np
import pytest

from fastmlp._config import JIT_OPTIONS
from fastmlp._kernels import activations, dense, heads, optim

F32 = np.float32


def float64_operations(kernel, *args):
    """Float64 arithmetic instructions in ``kernel`` compiled for ``args`` (no disk cache)."""
    options = {key: value for key, value in JIT_OPTIONS.items() if key != "cache"}
    fresh = numba.njit(**options)(kernel.py_func)
    fresh(*args)
    ir = fresh.inspect_llvm(fresh.signatures[-1])
    return re.findall(r"= (?:fadd|fsub|fmul|fdiv)[^=\n]* double", ir)


def z(shape=(4, 8)):
    return np.linspace(-1, 1, np.prod(shape), dtype=F32).reshape(shape)


def scratch():
    return np.ones((4, 8), F32)


ELEMENT_KERNELS = {
    **{
        f"activate {name}": (activations.activate, lambda code=code: (code, z()))
        for name, code in activations.ACTIVATION_CODES.items()
    },
    **{
        f"derivative {name}": (activations.multiply_by_derivative,
                               lambda code=code: (code, z(), z()))
        for name, code in activations.ACTIVATION_CODES.items()
    },
    "affine": (dense.affine_forward, lambda: (z((3, 4)), z((3,)), z(), z((3, 8)), 1 << 16)),
    "weight gradient": (dense.weight_gradient,
                        lambda: (z((3, 8)), z(), z((3, 4)), z((3,)), 1 << 16)),
    "backpropagate": (dense.backpropagate, lambda: (z((3, 4)), z((3, 8)), z(), 1 << 16)),
    "sigmoid BCE": (heads.loss_and_delta,
                    lambda: (heads.SIGMOID_BCE, z(), z(), z(), scratch())),
    "softmax CE": (heads.loss_and_delta, lambda: (heads.SOFTMAX_CE, z(), z(), z(), scratch())),
    "tanh SE": (heads.loss_and_delta, lambda: (heads.TANH_SE, z(), z(), z(), scratch())),
    "softmax output": (heads.apply_output, lambda: (heads.SOFTMAX_CE, z(), scratch())),
}


@pytest.mark.parametrize("name", ELEMENT_KERNELS)
def test_float32_kernel_has_no_float64_arithmetic(name):
    kernel, make_args = ELEMENT_KERNELS[name]
    assert float64_operations(kernel, *make_args()) == []


@pytest.mark.parametrize("optimizer", [optim.SGD, optim.ADAM])
def test_float32_update_uses_float64_only_for_adams_step_size(optimizer):
    theta = np.ones(50, F32)
    args = (optimizer, theta, theta.copy(), theta.copy(), theta.copy(),
            np.zeros(1, np.int64), F32(0.1), F32(0.9), True, F32(0.9), F32(0.999), F32(1e-8))
    operations = float64_operations(optim.step, *args)
    # Adam's bias correction lr sqrt(1 - b2^t) / (1 - b1^t) is one scalar per step,
    # computed in float64 and rounded once; the per-parameter loop is float32.
    assert len(operations) <= 4
    assert not any("<" in op for op in operations)  # no vector (per-parameter) float64 op
