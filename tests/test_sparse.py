"""Sparse input: the first layer reads a CSR matrix's nonzeros, and nothing is densified."""

import naive
import numpy as np
import pytest
import scipy.sparse

import fastmlp


def sparse_problem(rng, n_samples=300, n_features=40, density=0.1):
    dense = rng.normal(size=(n_samples, n_features))
    dense *= rng.random((n_samples, n_features)) < density
    dense[5] = 0.0  # a row without any nonzero
    labels = (dense[:, :6].sum(axis=1) > 0).astype(int)
    return dense, labels


# The sparse first layer adds a row's nonzeros in another order than the dense product,
# so the two differ by rounding. Adam divides each gradient by its own running size, which
# turns rounding in a weight's near-zero gradient into a step of full size: in float32
# that is visible within a few epochs, so float32 is compared under SGD with momentum,
# which passes rounding on at its own size.
@pytest.mark.parametrize("dtype, rtol, optimizer", [("float64", 1e-12, "adam"),
                                                    ("float32", 2e-5, "sgd")])
@pytest.mark.parametrize("batch_size", [None, 32])
def test_sparse_training_equals_dense_training(dtype, rtol, optimizer, batch_size, rng):
    dense, labels = sparse_problem(rng)
    models = []
    for X in (dense, scipy.sparse.csr_matrix(dense)):
        net = fastmlp.MLP([40, 16, 8, 1], activation="relu", init="he", dtype=dtype, seed=2)
        net.fit(X, labels, epochs=4, lr=0.05, batch_size=batch_size, optimizer=optimizer,
                momentum=0.9, l2=1e-3, dropout=0.2)
        models.append(net)
    np.testing.assert_allclose(models[1].parameters, models[0].parameters, rtol=rtol,
                               atol=rtol * 1e-2)
    np.testing.assert_allclose(models[1].history["loss"], models[0].history["loss"], rtol=rtol)
    sparse_X = scipy.sparse.csr_matrix(dense)
    np.testing.assert_allclose(models[0].predict_proba(sparse_X), models[0].predict_proba(dense),
                               rtol=rtol)


def test_sparse_gradient_equals_the_numpy_reference(rng):
    dense, labels = sparse_problem(rng, n_samples=50)
    net = fastmlp.MLP([40, 7, 3], activation="tanh", loss="cross_entropy", init="glorot",
                      seed=0)
    Y = np.eye(3)[labels + (dense[:, 7] > 0)]
    dWs, dbs = net.gradients(scipy.sparse.csr_array(dense), Y, l2=0.01)
    want_dWs, want_dbs = naive.gradients(list(net.weights), list(net.biases),
                                         list(net.activation), "cross_entropy", "softmax",
                                         dense, Y, 0.0, 0.01)
    for got, want in zip(dWs + dbs, want_dWs + want_dbs, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)


def test_any_sparse_format_is_read_in_canonical_form_without_touching_the_callers(rng):
    dense, labels = sparse_problem(rng, n_samples=60)
    rows, cols = np.nonzero(dense)
    values = dense[rows, cols]
    # Every nonzero split into two duplicate entries, in shuffled order.
    order = rng.permutation(2 * len(values))
    coo = scipy.sparse.coo_matrix(
        (np.concatenate([values / 4, 3 * values / 4])[order],
         (np.concatenate([rows, rows])[order], np.concatenate([cols, cols])[order])),
        shape=dense.shape)
    messy = coo.tocsr(copy=True)
    messy.has_canonical_format = False  # keep the duplicates, as a user's matrix may
    snapshot = (messy.data.copy(), messy.indices.copy(), messy.indptr.copy())
    reference = fastmlp.MLP([40, 5, 1], activation="tanh", seed=1)
    expected = reference.gradients(dense, labels)
    for X in (coo, messy, scipy.sparse.csc_matrix(dense), scipy.sparse.lil_matrix(dense)):
        got = reference.gradients(X, labels)
        for a, b in zip(got[0] + got[1], expected[0] + expected[1], strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    for before, after in zip(snapshot, (messy.data, messy.indices, messy.indptr), strict=True):
        np.testing.assert_array_equal(before, after)


def test_wide_sparse_input_needs_no_room_for_a_dense_batch():
    """A million columns, a few nonzeros per row: the work buffers do not grow with the
    number of columns."""
    rng = np.random.default_rng(0)
    n_samples, n_features = 400, 1_000_000
    columns = rng.integers(0, n_features, (n_samples, 5))
    X = scipy.sparse.csr_matrix((np.ones(5 * n_samples), columns.ravel(),
                                 np.arange(0, 5 * n_samples + 1, 5)),
                                shape=(n_samples, n_features))
    labels = (columns.min(axis=1) < n_features // 5).astype(int)
    net = fastmlp.MLP([n_features, 4, 1], activation="relu", seed=0)
    work = net.workspace(X)
    assert work["acts"].shape[1] == (4 + 1) * n_samples
    net.fit(X, labels, epochs=2, lr=0.5, batch_size=100)
    assert np.isfinite(net.history["loss"]).all()


def test_bad_sparse_input_is_refused(rng):
    dense, labels = sparse_problem(rng, n_samples=20)
    net = fastmlp.MLP([40, 3, 1], seed=0)
    with_nan = scipy.sparse.csr_matrix(dense)
    with_nan.data[0] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        net.fit(with_nan, labels, epochs=1, lr=0.1)
    with pytest.raises(ValueError, match="has 39 features"):
        net.predict(scipy.sparse.csr_matrix(dense[:, 1:]))
    complex_values = scipy.sparse.csr_matrix(np.array([[1j, 0.0]]))
    with pytest.raises(TypeError, match="real numbers"):
        fastmlp.MLP([2, 3, 1]).predict(complex_values)
