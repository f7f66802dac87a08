"""The direct views equal numpy's reshape and share memory with their source."""

import numba
import numpy as np
import pytest

from fastmlp._kernels.views import as_matrix, as_vector, copy_vector


@numba.njit
def matrix_of(flat, start, rows, cols):
    return as_matrix(flat[start:start + rows * cols], rows, cols)


@numba.njit
def vector_of(matrix):
    return as_vector(matrix)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_as_matrix_is_the_c_order_reshape_and_a_view(dtype):
    flat = np.arange(30, dtype=dtype)
    view = matrix_of(flat, 4, 3, 5)
    np.testing.assert_array_equal(view, flat[4:19].reshape(3, 5))
    assert view.strides == flat[4:19].reshape(3, 5).strides and view.flags.c_contiguous
    view[2, 1] = -1
    assert flat[4 + 2 * 5 + 1] == -1


def test_as_vector_flattens_in_c_order_and_is_a_view():
    matrix = np.arange(12.0).reshape(3, 4)
    vector = vector_of(matrix)
    np.testing.assert_array_equal(vector, matrix.ravel())
    vector[5] = 100.0
    assert matrix[1, 1] == 100.0


def test_views_keep_their_memory_alive():
    view = matrix_of(np.arange(10.0), 0, 2, 5)  # the source array is gone after the call
    np.testing.assert_array_equal(view, np.arange(10.0).reshape(2, 5))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_copy_vector_copies_every_element_and_leaves_the_source(dtype, rng):
    source = rng.normal(size=37).astype(dtype)
    kept = source.copy()
    target = np.full(37, np.nan, dtype=dtype)
    copy_vector(source, target)
    np.testing.assert_array_equal(target, kept)
    np.testing.assert_array_equal(source, kept)
