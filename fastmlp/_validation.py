"""Checks on everything a user passes in, run before any compiled code.

Each check raises a ``ValueError`` or ``TypeError`` whose message names the argument,
what was wrong and what to pass instead. None of them modifies the caller's data:
conversions make copies where a dtype or memory layout has to change.
"""

import math
import numbers
import sys
from collections.abc import Sequence

import numpy as np

DTYPES = {"float32": np.float32, "float64": np.float64}


def choice(name, value, options):
    """``value`` if it is one of ``options`` (strings), else a ValueError listing them."""
    if not isinstance(value, str) or value not in options:
        valid = ", ".join(repr(option) for option in options)
        raise ValueError(f"unknown {name} {value!r}; valid choices for {name}: {valid}")
    return value


def dtype(value):
    """The numpy scalar type for ``'float32'``/``'float64'`` (or the numpy types themselves)."""
    for name, scalar_type in DTYPES.items():
        if value is scalar_type or value == name:
            return scalar_type
        if isinstance(value, np.dtype) and value == np.dtype(scalar_type):
            return scalar_type
    raise ValueError(f"unsupported dtype {value!r}; use 'float32' or 'float64'")


def positive_int(name, value, minimum=1):
    """An ``int`` (numpy integers included, bools not) at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def real(name, value, minimum=None, exclusive_minimum=None, maximum=None,
         exclusive_maximum=None):
    """A finite real number within the given bounds, as a Python float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if exclusive_minimum is not None and value <= exclusive_minimum:
        raise ValueError(f"{name} must be > {exclusive_minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    if exclusive_maximum is not None and value >= exclusive_maximum:
        raise ValueError(f"{name} must be < {exclusive_maximum}, got {value}")
    return value


def boolean(name, value):
    """A Python or numpy bool."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def layer_sizes(sizes):
    """A tuple of at least two positive layer widths, input first."""
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, (Sequence, np.ndarray)):
        raise TypeError(
            f"sizes must be a list of layer widths such as [2, 10, 1], got {sizes!r}"
        )
    sizes = tuple(sizes)
    if len(sizes) < 2:
        raise ValueError(
            f"sizes needs at least an input and an output width, e.g. [2, 1]; got {list(sizes)}"
        )
    return tuple(positive_int(f"sizes[{i}]", size) for i, size in enumerate(sizes))


def numeric_array(name, value, float_type):
    """``value`` as a C-contiguous array of ``float_type`` (a copy if anything must change).

    Refuses non-numeric data (strings, objects, complex) with a TypeError.
    """
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} must hold real numbers (bool, int or float), got dtype {array.dtype}"
        )
    with np.errstate(over="ignore"):  # an overflow to inf is reported by `finite`
        return np.ascontiguousarray(array, dtype=float_type)


def finite(name, array):
    """Refuse NaN and infinity (also values that overflowed a float32 conversion)."""
    # A NaN or an infinity makes the sum NaN or infinite, so one pass, without a full-size
    # boolean mask, clears the usual case; a sum that overflowed from finite values gets
    # the exact check (min and max propagate NaN and reach any infinity).
    if (array.size and not math.isfinite(array.sum())
            and not (np.isfinite(array.min()) and np.isfinite(array.max()))):
        raise ValueError(
            f"{name} contains NaN or infinite values (or values too large for "
            f"{array.dtype}); remove or impute them first"
        )


class SparseRows:
    """Rows of a sparse matrix as the kernels read them: CSR arrays in canonical form
    (sorted column indices, no duplicates), ``data`` in the network's dtype, ``indices``
    and ``indptr`` as int64. The caller's matrix is never modified.

    Attributes
    ----------
    data, indices, indptr : ndarray
    shape : (int, int)
    """

    def __init__(self, matrix, float_type, name="X"):
        import scipy.sparse

        csr = scipy.sparse.csr_array(matrix)
        if not csr.has_canonical_format:
            csr = csr.copy()
            csr.sum_duplicates()  # also sorts the indices
        if csr.data.dtype.kind not in "biuf":
            raise TypeError(
                f"{name} must hold real numbers (bool, int or float), got dtype "
                f"{csr.data.dtype}"
            )
        with np.errstate(over="ignore"):
            self.data = np.ascontiguousarray(csr.data, dtype=float_type)
        finite(name, self.data)
        self.indices = np.ascontiguousarray(csr.indices, dtype=np.int64)
        self.indptr = np.ascontiguousarray(csr.indptr, dtype=np.int64)
        self.shape = csr.shape
        self.dtype = self.data.dtype

    def kernel_rows(self):
        """The ``(data, indices, indptr)`` tuple the kernels take."""
        return self.data, self.indices, self.indptr


def is_sparse(X) -> bool:
    """A scipy sparse matrix or array (or rows already validated from one)."""
    if isinstance(X, SparseRows):
        return True
    # Until scipy.sparse is imported no object can be one of its matrices, and asking
    # costs no import (a fifth of a second, a tenth of the demo's start).
    sparse = sys.modules.get("scipy.sparse")
    return sparse is not None and sparse.issparse(X)


def rows(X, float_type, name="X"):
    """Validated rows for the kernels: a C-contiguous array of ``float_type``, or
    :class:`SparseRows` for a sparse matrix."""
    if isinstance(X, SparseRows) and X.dtype == np.dtype(float_type):
        return X
    if is_sparse(X):
        if isinstance(X, SparseRows):
            import scipy.sparse

            X = scipy.sparse.csr_array((X.data, X.indices, X.indptr), shape=X.shape)
        return SparseRows(X, float_type, name)
    return np.ascontiguousarray(X, dtype=float_type)


def features(X, n_features, float_type, name="X"):
    """``X`` as a finite, C-contiguous ``(n_samples, n_features)`` array of ``float_type``,
    or as :class:`SparseRows` when ``X`` is a scipy sparse matrix."""
    if is_sparse(X):
        sparse_rows = rows(X, float_type, name)
        if len(sparse_rows.shape) != 2 or sparse_rows.shape[0] == 0:
            raise ValueError(f"{name} must be a non-empty 2-D matrix, got shape "
                             f"{sparse_rows.shape}")
        if sparse_rows.shape[1] != n_features:
            raise ValueError(
                f"{name} has {sparse_rows.shape[1]} features (columns) but the network's input "
                f"layer has {n_features}"
            )
        return sparse_rows
    array = numeric_array(name, X, float_type)
    if array.ndim != 2:
        hint = ""
        if array.ndim == 1:
            one_sample = f"{name}.reshape(1, -1) for a single sample of {n_features} features"
            one_feature = f"{name}.reshape(-1, 1) for one value per sample"
            if array.size == n_features != 1:
                hint = f" (use {one_sample})"
            elif n_features == 1:
                hint = f" (use {one_feature})"
            else:
                hint = (f" (the network takes {n_features} features per sample: pass one row "
                        "per sample)")
        raise ValueError(
            f"{name} must be 2-D (n_samples, n_features), got shape {array.shape}{hint}"
        )
    if array.shape[0] == 0:
        raise ValueError(f"{name} is empty: it needs at least one sample (row)")
    if array.shape[1] != n_features:
        raise ValueError(
            f"{name} has {array.shape[1]} features (columns) but the network's input layer "
            f"has {n_features}"
        )
    finite(name, array)
    return array


def sample_weights(sample_weight, n_samples, float_type):
    """Per-sample weights as a C-contiguous array of ``float_type``; empty for ``None``.

    Weights must be finite, non-negative, one per sample, and not all zero.
    """
    if sample_weight is None:
        return np.empty(0, dtype=float_type)
    if np.isscalar(sample_weight) and not isinstance(sample_weight, (str, bytes)):
        sample_weight = np.full(n_samples, sample_weight)
    array = numeric_array("sample_weight", sample_weight, float_type)
    if array.ndim != 1 or array.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight must be 1-D with one weight per sample ({n_samples}), got shape "
            f"{array.shape}"
        )
    finite("sample_weight", array)
    if array.size and array.min() < 0:
        raise ValueError("sample_weight must be non-negative; negative weights have no meaning "
                         "for a mean loss")
    if not array.sum() > 0:
        raise ValueError("sample_weight values are all zero: at least one sample needs a "
                         "positive weight")
    return array
