"""Reshaped views of C-contiguous arrays, without Numba's general ``reshape``.

Numba's ``reshape`` checks its arguments through a runtime helper call (about 27 ns on
a typical core), and a training step of a small network makes dozens of views of its
work buffers: for batches of ten samples that was a fifth of the step. The views here
only ever reinterpret C-contiguous memory, so their shape and strides follow directly:
they cost a few instructions. The caller guarantees the sizes (kernels never validate).
"""

from numba import types
from numba.extending import intrinsic

from .._config import jit_inline
from .._numba_internals import array_size, contiguous_view


def _contiguous(array_type):
    return isinstance(array_type, types.Array) and array_type.layout == "C"


@intrinsic
def as_matrix(typingctx, flat, rows, cols):
    """``(rows, cols)`` view of the first ``rows * cols`` elements of a 1-D C array."""
    if not (_contiguous(flat) and flat.ndim == 1 and isinstance(rows, types.Integer)
            and isinstance(cols, types.Integer)):
        return None
    result_type = flat.copy(ndim=2, layout="C")

    def codegen(context, builder, signature, args):
        dimensions = [context.cast(builder, value, kind, types.intp)
                      for value, kind in zip(args[1:], signature.args[1:], strict=True)]
        return contiguous_view(context, builder, flat, args[0], result_type, dimensions)

    return result_type(flat, rows, cols), codegen


@intrinsic
def as_vector(typingctx, array):
    """1-D view of all elements of a C-contiguous array."""
    if not _contiguous(array):
        return None
    result_type = array.copy(ndim=1, layout="C")

    def codegen(context, builder, signature, args):
        size = array_size(context, builder, array, args[0])
        return contiguous_view(context, builder, array, args[0], result_type, [size])

    return result_type(array), codegen


@jit_inline
def copy_vector(source, target):
    """``target[:] = source`` for 1-D arrays of one size (the caller guarantees it).

    Written as a loop because Numba's slice assignment brings in its shape-mismatch error
    path, whose message formatting alone took over a second to compile in every loop
    that used it.
    """
    for i in range(source.size):
        target[i] = source[i]
