"""Steps of a network called through their addresses, so that each compiles once.

Numba compiles a kernel together with every kernel it calls: the callee's code is linked
into the caller's and optimised and turned into machine code again. A training loop that
called each activation, output head, product and optimizer directly would carry all of
them, whichever a network uses, and would be compiled again, whole, for every variant of
the loop (dtype, threads, sparse input, dropout, the Playground's rules).

So the loops call the steps of a network through addresses instead. A *step* is a small
kernel with a fixed signature for each *kind* (:data:`SIGNATURES`): the dense product,
one activation's forward map, one head's loss and delta, one optimizer's update, ...
The Python layer compiles (or loads from the disk cache) only the steps a network needs
and hands their native addresses to the loop in an int64 array (the network's ``steps``,
:mod:`.network`). A loop then compiles once per dtype (and once more with threads), and
each step once per dtype: compiling cost is the sum of what is used, not a product.

The training loop and the Playground's loop call the batch driver the same way (kind
:data:`BATCH_LOSS_AND_GRADIENT`): one loop then serves the serial and the threaded driver,
and never carries the driver's code either; the Playground's loop calls inference
(:data:`PREDICT`) so too, and both batch drivers call the work of one group of a batch
(:data:`GROUP_LOSS_AND_GRADIENT`) so, which is then compiled once for both.

An indirect call costs a few nanoseconds; the steps are whole layers, so even batches of
ten samples spend almost all their time inside them.

The callers here are intrinsics, one per kind: each checks at compile time that the
arguments it is given have exactly the types that :func:`address` compiles the step for,
so a loop and a step can never disagree about a signature.
"""

import threading

import numba
import numpy as np
from numba import types
from numba.core import errors
from numba.extending import intrinsic

from .._numba_internals import call_native, native_address

(PRODUCT, WEIGHT_GRADIENT, BACKPROPAGATE, ACTIVATE, DERIVATIVE, LOSS_AND_DELTA, APPLY_OUTPUT,
 SPARSE_PRODUCT, SPARSE_WEIGHT_GRADIENT, DROP_UNITS, DROP_DELTAS, OPTIMIZER_STEP,
 BATCH_LOSS_AND_GRADIENT, PREDICT, GROUP_LOSS_AND_GRADIENT, BACKPROPAGATE_THROUGH) = range(16)


def _tuple(*members):
    """The tuple type Numba gives a tuple of values of these types."""
    return types.BaseTuple.from_types(members)


def _signature(kind, float_type):
    """``(return type, argument types)`` of a step of ``kind`` for a float type."""
    matrix = types.Array(float_type, 2, "C")
    vector = types.Array(float_type, 1, "C")
    index = types.Array(types.int64, 1, "C")
    csr = (vector, index, index)  # data, indices, indptr
    none, count = types.none, types.int64
    layout = _tuple(index, index, index)  # w_offsets, sizes, steps
    rows = _tuple(matrix, *csr)  # X, data, indices, indptr
    targets = _tuple(matrix, vector)  # Y, sample_weight
    # a_offsets, acts, deltas, y_buffer, scratch, group_grads, part_grads, group_losses,
    # min_group
    work = _tuple(index, matrix, matrix, matrix, types.Array(float_type, 3, "C"), matrix, matrix,
                  types.Array(types.float64, 1, "C"), count)
    dropout = _tuple(vector, types.Array(types.uint64, 1, "C"))  # rates, key
    return {
        PRODUCT: (none, (matrix, vector, matrix, matrix)),  # W, b, z_in, z_tilde_out
        WEIGHT_GRADIENT: (none, (matrix, matrix, matrix, vector)),  # delta, z_in, dW, db
        BACKPROPAGATE: (none, (matrix, matrix, matrix)),  # W, delta, delta_in
        ACTIVATE: (none, (matrix,)),  # z
        DERIVATIVE: (none, (matrix, matrix)),  # z, delta
        BACKPROPAGATE_THROUGH: (none, (matrix, matrix, matrix, matrix)),  # W, delta, z, delta_in
        LOSS_AND_DELTA: (float_type, (matrix, matrix, matrix, matrix)),  # z, y, delta, scratch
        APPLY_OUTPUT: (none, (matrix, matrix)),  # z, scratch
        # W, b, CSR rows, order, start, m, z_tilde_out
        SPARSE_PRODUCT: (none, (matrix, vector, *csr, index, count, count, matrix)),
        # delta, CSR rows, order, start, m, dW, db
        SPARSE_WEIGHT_GRADIENT: (none, (matrix, *csr, index, count, count, matrix, vector)),
        # z, first unit, rate, key, first position
        DROP_UNITS: (none, (matrix, count, float_type, types.uint64, count)),
        DROP_DELTAS: (none, (matrix, matrix, count, float_type, types.uint64, count)),
        # theta, grad, velocity, second moment, step count, lr, momentum, beta_1, beta_2, eps
        OPTIMIZER_STEP: (none, (vector, vector, vector, vector, index, *(float_type,) * 5)),
        # theta, layout, rows, targets, order, start, m, scale, with_gradient, work,
        # gathered, dropout (a batch driver of .network)
        BATCH_LOSS_AND_GRADIENT: (types.float64, (vector, layout, rows, targets, index, count,
                                                  count, float_type, types.boolean, work,
                                                  types.boolean, dropout)),
        # group, n_groups, theta, layout, rows, targets, order, start, m, scale,
        # with_gradient, grad, a_offsets, slot (acts, deltas, y_buffer, scratch, part_grad),
        # gathered, blas_min_work, dropout (.network.group_loss_and_gradient)
        GROUP_LOSS_AND_GRADIENT: (types.float64, (
            count, count, vector, layout, rows, targets, index, count, count, float_type,
            types.boolean, vector, index, _tuple(vector, vector, vector, matrix, vector),
            types.boolean, count, dropout)),
        # theta, layout, a_offsets, rows, apply_head, out, acts, scratch (.network.predict)
        PREDICT: (types.boolean,
                  (vector, layout, index, rows, types.boolean, matrix, vector, matrix)),
    }[kind]


def _caller(kind, name):
    """The intrinsic ``name(address, arguments)`` that calls a step of ``kind``."""

    def typer(typingctx, address, arguments):
        if not isinstance(arguments, types.BaseTuple) or not isinstance(address, types.Integer):
            return None
        # Every kind but one starts with an array of the float type; the group's third.
        float_type = arguments[2 if kind == GROUP_LOSS_AND_GRADIENT else 0].dtype
        return_type, expected = _signature(kind, float_type)
        if len(arguments) != len(expected) or any(
            given != wanted if isinstance(wanted, (types.Array, types.BaseTuple))
            else not isinstance(given, (types.Integer, types.Float, types.Boolean))
            for given, wanted in zip(arguments, expected, strict=False)
        ):
            raise errors.TypingError(f"{name} takes {expected}, got {tuple(arguments)}")

        def codegen(context, builder, signature, args):
            values = [context.cast(builder, builder.extract_value(args[1], i), given, wanted)
                      for i, (given, wanted) in enumerate(zip(arguments, expected, strict=True))]
            return call_native(context, builder, args[0], return_type, expected, values)

        return return_type(address, arguments), codegen

    typer.__name__ = name
    typer.__doc__ = f"Call the step at ``address`` (kind ``{name}``) with a tuple of arguments."
    return intrinsic(typer)


product = _caller(PRODUCT, "product")
weight_gradient = _caller(WEIGHT_GRADIENT, "weight_gradient")
backpropagate = _caller(BACKPROPAGATE, "backpropagate")
activate = _caller(ACTIVATE, "activate")
derivative = _caller(DERIVATIVE, "derivative")
backpropagate_through = _caller(BACKPROPAGATE_THROUGH, "backpropagate_through")
loss_and_delta = _caller(LOSS_AND_DELTA, "loss_and_delta")
apply_output = _caller(APPLY_OUTPUT, "apply_output")
sparse_product = _caller(SPARSE_PRODUCT, "sparse_product")
sparse_weight_gradient = _caller(SPARSE_WEIGHT_GRADIENT, "sparse_weight_gradient")
drop_units = _caller(DROP_UNITS, "drop_units")
drop_deltas = _caller(DROP_DELTAS, "drop_deltas")
optimizer_step = _caller(OPTIMIZER_STEP, "optimizer_step")
batch_loss_and_gradient = _caller(BATCH_LOSS_AND_GRADIENT, "batch_loss_and_gradient")
predict = _caller(PREDICT, "predict")
group_loss_and_gradient = _caller(GROUP_LOSS_AND_GRADIENT, "group_loss_and_gradient")


_ADDRESSES: dict = {}
_ADDRESSES_LOCK = threading.Lock()


def address(step, kind, dtype) -> int:
    """The native address of kernel ``step`` compiled as a step of ``kind`` for ``dtype``.

    Compiles it (or loads it from Numba's disk cache) the first time in a process. The
    address stays valid for the life of the process: the compiled code is kept by
    ``step`` itself.
    """
    key = (step, kind, np.dtype(dtype))
    with _ADDRESSES_LOCK:
        if key not in _ADDRESSES:
            return_type, argument_types = _signature(kind, numba.from_dtype(np.dtype(dtype)))
            # The argument types alone, as a call from Python gives them: Numba's disk cache
            # files a compilation under the signature it was asked for, so the same code is
            # then found whether it was first compiled here or by a call.
            step.compile(argument_types)
            native, returns = native_address(step, argument_types)
            if returns != return_type:
                raise TypeError(f"{step.py_func.__name__} returns {returns}, not {return_type}")
            _ADDRESSES[key] = native
        return _ADDRESSES[key]
