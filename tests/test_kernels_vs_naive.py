"""Every compiled kernel against the plain-numpy reference in tests/naive.py."""

import naive
import numba
import numpy as np
import pytest
from problems import (
    ACTIVATIONS,
    DTYPES,
    HEADS,
    RTOL,
    make_problem,
    parameters_float64,
)

import fastmlp
from fastmlp._kernels import activations, dense, heads, network
from fastmlp.model import INFERENCE_CHUNK


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_and_derivative_match_reference(name, dtype, rng):
    forward_map, derivative, _ = activations.STEPS[activations.ACTIVATION_CODES[name]]
    z_tilde = rng.normal(scale=3.0, size=(7, 33))
    z = z_tilde.astype(dtype)
    if forward_map is not None:  # a linear layer has no step: the identity
        forward_map(z)
    np.testing.assert_allclose(z, naive.ACTIVATIONS[name](z_tilde), rtol=RTOL[dtype], atol=1e-6)
    upstream = rng.normal(size=z.shape)
    delta = upstream.astype(dtype)
    if derivative is not None:
        derivative(z, delta)
    expected = upstream * naive.DERIVATIVES[name](z_tilde)
    np.testing.assert_allclose(delta, expected, rtol=RTOL[dtype], atol=1e-6)


def test_relu_derivative_at_zero_is_zero():
    z = np.array([[0.0, 1e-300, -0.0, 2.0]])
    delta = np.ones_like(z)
    activations.relu_derivative(z, delta)
    np.testing.assert_array_equal(delta, [[0.0, 1.0, 0.0, 1.0]])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("head", HEADS, ids=lambda h: f"{h[1]}+{h[0]}")
def test_head_loss_and_delta_match_jacobian_chain_rule(head, dtype, rng):
    loss, output = head
    n_outputs, batch = 4, 29
    z_tilde = rng.normal(scale=2.0, size=(n_outputs, batch))
    from problems import make_targets

    Y = np.ascontiguousarray(make_targets(loss, output, batch, n_outputs, rng).T)
    delta = np.empty((n_outputs, batch), dtype=dtype)
    scratch = np.empty((4, batch), dtype=dtype)
    loss_and_delta, apply_output = heads.STEPS[heads.HEAD_CODES[head]]
    total = loss_and_delta(z_tilde.astype(dtype), Y.astype(dtype), delta, scratch)
    y_hat = naive.OUTPUTS[output](z_tilde)
    expected_per_sample = naive.per_sample_loss(loss, y_hat, Y)
    np.testing.assert_allclose(scratch[3], expected_per_sample, rtol=RTOL[dtype], atol=1e-12)
    np.testing.assert_allclose(total, expected_per_sample.sum(), rtol=RTOL[dtype])
    expected_delta = naive.output_delta(loss, output, z_tilde, Y)
    np.testing.assert_allclose(delta, expected_delta, rtol=RTOL[dtype], atol=1e-6)
    outputs = z_tilde.astype(dtype)
    if apply_output is not None:  # the identity head has no output step
        apply_output(outputs, scratch)
    np.testing.assert_allclose(outputs, y_hat, rtol=RTOL[dtype], atol=1e-7)


def test_softmax_ce_delta_is_yhat_minus_y_for_one_hot(rng):
    z_tilde = rng.normal(size=(5, 11))
    Y = np.ascontiguousarray(np.eye(5)[rng.integers(0, 5, 11)].T)
    delta = np.empty_like(z_tilde)
    heads.softmax_ce_loss(z_tilde, Y, delta, np.empty((4, 11)))
    np.testing.assert_allclose(delta, naive.softmax(z_tilde) - Y, rtol=1e-13, atol=1e-15)


def test_softmax_ce_is_stable_for_huge_logits():
    z_tilde = np.array([[1000.0, -1000.0], [0.0, 0.0], [-1000.0, 1000.0]])
    Y = np.array([[1.0, 1.0], [0.0, 0.0], [0.0, 0.0]])
    delta = np.empty_like(z_tilde)
    total = heads.softmax_ce_loss(z_tilde, Y, delta, np.empty((4, 2)))
    # Sample 0 is certain and right (loss 0); sample 1 is certain and wrong (loss 2000).
    assert total == pytest.approx(2000.0)
    np.testing.assert_allclose(delta, [[0.0, -1.0], [0.0, 0.0], [0.0, 1.0]], atol=1e-300)


FORMS = {"loops": (dense.affine_forward, dense.weight_gradient, dense.backpropagate),
         "blas": (dense.blas_affine_forward, dense.blas_weight_gradient,
                  dense.blas_backpropagate)}


@pytest.mark.parametrize("dtype", DTYPES)
# (fan_out, fan_in, batch): the loops take the leftover terms of fan_in % 4 (forward),
# fan_out % 4 (backward) and fan_in % 2 (weight gradient) in their first pass; these
# shapes run every leftover count of each.
@pytest.mark.parametrize("shape", [(3, 2, 5), (64, 48, 40), (7, 33, 1), (5, 9, 6), (6, 7, 11),
                                   (4, 4, 3), (2, 1, 8)],
                         ids=["small", "large", "one-sample", "leftover-1", "leftover-3",
                              "no-leftover", "one-input"])
@pytest.mark.parametrize("form", FORMS)
def test_dense_kernels_match_matrix_products(form, shape, dtype, rng):
    affine_forward, weight_gradient, backpropagate = FORMS[form]
    fan_out, fan_in, batch = shape
    W = rng.normal(size=(fan_out, fan_in))
    b = rng.normal(size=fan_out)
    z_in = rng.normal(size=(fan_in, batch))
    delta = rng.normal(size=(fan_out, batch))
    cast = [a.astype(dtype) for a in (W, b, z_in, delta)]
    z_out = np.empty((fan_out, batch), dtype=dtype)
    affine_forward(cast[0], cast[1], cast[2], z_out)
    np.testing.assert_allclose(z_out, W @ z_in + b[:, None], rtol=RTOL[dtype] * 10, atol=1e-4)
    dW = np.empty((fan_out, fan_in), dtype=dtype)
    db = np.empty(fan_out, dtype=dtype)
    weight_gradient(cast[3], cast[2], dW, db)
    np.testing.assert_allclose(dW, delta @ z_in.T, rtol=RTOL[dtype] * 10, atol=1e-4)
    np.testing.assert_allclose(db, delta.sum(axis=1), rtol=RTOL[dtype] * 10, atol=1e-4)
    delta_in = np.empty((fan_in, batch), dtype=dtype)
    backpropagate(cast[0], cast[3], delta_in)
    np.testing.assert_allclose(delta_in, W.T @ delta, rtol=RTOL[dtype] * 10, atol=1e-4)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ACTIVATIONS)
# Every count of rows in the first pass (fan_out % 4, or 4) with and without further passes.
@pytest.mark.parametrize("fan_out", [1, 2, 3, 4, 5, 6, 7, 8, 9, 12])
def test_backpropagation_through_an_activation_is_the_product_then_the_derivative(
        name, fan_out, dtype, rng):
    forward_map, derivative, through = activations.STEPS[activations.ACTIVATION_CODES[name]]
    fan_in, batch = 6, 13
    W = rng.normal(size=(fan_out, fan_in))
    delta = rng.normal(size=(fan_out, batch))
    z_tilde = rng.normal(scale=3.0, size=(fan_in, batch))
    z = z_tilde.astype(dtype)
    if forward_map is not None:
        forward_map(z)
    W_cast, delta_cast = W.astype(dtype), delta.astype(dtype)
    fused = np.full((fan_in, batch), np.nan, dtype=dtype)
    through(W_cast, delta_cast, z, fused)
    expected = (W.T @ delta) * naive.DERIVATIVES[name](z_tilde)
    np.testing.assert_allclose(fused, expected, rtol=RTOL[dtype] * 10, atol=1e-4)
    # The two steps it replaces (which BLAS-sized products still take) give the same
    # figures but for the last multiplication's rounding: under reassociation, the
    # compiler may order the derivative's factors differently in either.
    apart = np.empty_like(fused)
    dense.backpropagate(W_cast, delta_cast, apart)
    if derivative is not None:
        derivative(z, apart)
    np.testing.assert_allclose(fused, apart, rtol=4 * np.finfo(dtype).eps, atol=0)


def test_products_reach_blas_from_the_threshold_on():
    """A network whose products can reach BLAS_MIN_WORK gets the BLAS forms; one whose
    products never do runs (and compiles) the loops only."""
    large, small = fastmlp.MLP([64, 48, 1]), fastmlp.MLP([3, 2, 1])
    for net, capacity, in_blas in ((large, 40, True), (small, 4096, False)):
        steps = net.layout(capacity)[2]
        assert (steps[network.BLAS_PRODUCT] != steps[network.PRODUCT]) == in_blas
    assert 48 * 64 * 40 >= dense.BLAS_MIN_WORK > 3 * 2 * 4096


def test_thin_or_small_products_stay_in_the_loops():
    """From BLAS_MIN_WORK on every product goes to BLAS; below it, with the early threshold,
    only those none of whose sides (fan-out, fan-in, batch) is thinner than BLAS_MIN_SIDE."""
    reaches = dense.reaches_blas.py_func
    early, general = dense.EARLY_BLAS_MIN_WORK, dense.BLAS_MIN_WORK
    assert reaches(10, 128, 32, early) and not reaches(10, 128, 32, general)
    assert reaches(8, 8, 128, early) and not reaches(8, 8, 127, early)
    assert not reaches(1, 100, 200, early)  # a thin output layer: the loops win
    assert not reaches(128, 64, 1, early)  # a single sample
    assert reaches(1, 100, 700, early) and reaches(1, 100, 700, general)
    assert not reaches(256, 784, 128, dense.NO_BLAS)


def test_training_hands_products_to_blas_early_only_on_openblas_avx512_kernels():
    """The early threshold needs every OpenBLAS in the process on its AVX-512 kernels; other
    libraries (MKL, which PyTorch brings) do not change it, whenever they are loaded."""
    choose = dense.blas_min_work_for
    for early in ((("openblas", "SkylakeX"),),
                  (("openblas", "SkylakeX"), ("openblas", "Cooperlake")),
                  (("openblas", "SkylakeX"), ("mkl", None))):
        assert choose(early) == dense.EARLY_BLAS_MIN_WORK
    for general in ((("openblas", "Haswell"),), (("openblas", "SkylakeX"), ("openblas", "Zen")),
                    (("openblas", None),), (("mkl", None),), (("blis", "skx"),), ()):
        assert choose(general) == dense.BLAS_MIN_WORK
    assert dense.training_blas_min_work() in (dense.EARLY_BLAS_MIN_WORK, dense.BLAS_MIN_WORK)


@pytest.mark.parametrize("threshold", ["early", "general"])
def test_gradients_match_reference_at_either_training_threshold(threshold, monkeypatch, rng):
    """A 24 x 16 layer over 40 samples (15,360 multiply-adds) goes to BLAS with the early
    threshold and to the loops with the general one: the gradient is the reference's."""
    blas_min_work = {"early": dense.EARLY_BLAS_MIN_WORK, "general": dense.BLAS_MIN_WORK}[
        threshold]
    monkeypatch.setattr(dense, "training_blas_min_work", lambda: blas_min_work)
    monkeypatch.setattr(network, "_STEPS", {})
    head = ("cross_entropy", "softmax")
    net, X, Y = make_problem([6, 24, 16, 4], "tanh", head, "float64", rng, n_samples=40)
    steps = net.layout(40)[2]
    in_blas = threshold == "early"  # else no product reaches BLAS: the loops only
    assert steps[network.TRAINING_BLAS_WORK] == (blas_min_work if in_blas else dense.NO_BLAS)
    assert (steps[network.BLAS_PRODUCT] != steps[network.PRODUCT]) == in_blas
    Ws, bs = parameters_float64(net)
    dWs, dbs = net.gradients(X, Y)
    ref_dWs, ref_dbs = naive.gradients(Ws, bs, list(net.activation), *head, X, Y)
    for got, want in zip(dWs + dbs, ref_dWs + ref_dbs, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)


# n_samples, batch_size, shuffle: a 40-64-3 network's first product reaches BLAS in every
# group (64 x 40 x m >= BLAS_MIN_WORK for m >= 26). Batches of 100 are split in two groups
# (threads) of 50, the last batch of 30 is one group; shuffled, the rows are gathered
# sample-major, else read where they are in X; the full batch of 90 is gathered once.
FIRST_LAYER_RUNS = {"in-order": (330, 100, False), "shuffled": (330, 100, True),
                    "full-batch": (90, 90, False)}


@pytest.mark.parametrize("run", FIRST_LAYER_RUNS)
def test_training_reads_rows_for_a_first_product_in_blas(run, monkeypatch, rng):
    """Training whose first product goes to BLAS reads the input rows sample-major
    (ROWS_PRODUCT, ROWS_WEIGHT_GRADIENT): it ends where the same run in the loops ends."""
    n_samples, batch_size, shuffle = FIRST_LAYER_RUNS[run]
    head = ("cross_entropy", "softmax")
    start, X, Y = make_problem([40, 64, 3], "relu", head, "float64", rng, n_samples=n_samples)
    assert 64 * 40 * 26 >= dense.BLAS_MIN_WORK > 64 * 40 * 25
    settings = dict(epochs=3, lr=0.05, batch_size=batch_size, shuffle=shuffle)

    def trained():
        net = fastmlp.MLP([40, 64, 3], activation="relu", dtype="float64", seed=4)
        net.parameters[...] = start.parameters
        return net, net.fit(X, Y, **settings).parameters

    in_blas, result = trained()
    steps = in_blas.layout(batch_size)[2]
    assert steps[network.ROWS_PRODUCT] != 0 and steps[network.ROWS_WEIGHT_GRADIENT] != 0
    assert in_blas.layout(batch_size, training=False)[2][network.ROWS_WEIGHT_GRADIENT] == 0
    monkeypatch.setattr(dense, "training_blas_min_work", lambda: dense.NO_BLAS)
    in_loops, expected = trained()
    loops_steps = in_loops.layout(batch_size)[2]
    assert loops_steps[network.ROWS_PRODUCT] == loops_steps[network.ROWS_WEIGHT_GRADIENT] == 0
    np.testing.assert_allclose(result, expected, rtol=1e-10, atol=1e-12)
    assert not np.array_equal(result, start.parameters)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("head", HEADS, ids=lambda h: f"{h[1]}+{h[0]}")
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_network_loss_and_gradients_match_reference(activation, head, dtype, rng):
    net, X, Y = make_problem([3, 6, 5, 4], activation, head, dtype, rng)
    Ws, bs = parameters_float64(net)
    names = list(net.activation)
    X = X.astype(dtype).astype(np.float64)  # the data the float32 network actually sees
    l1, l2 = 0.01, 0.02
    expected = naive.objective(Ws, bs, names, *head, X, Y, l1, l2)
    assert net.loss(X, Y, l1=l1, l2=l2) == pytest.approx(expected, rel=RTOL[dtype])
    dWs, dbs = net.gradients(X, Y, l1=l1, l2=l2)
    ref_dWs, ref_dbs = naive.gradients(Ws, bs, names, *head, X, Y, l1, l2)
    scale = max(np.abs(g).max() for g in ref_dWs + ref_dbs)
    for got, want in zip(dWs + dbs, ref_dWs + ref_dbs, strict=True):
        assert got.dtype == np.dtype(dtype)
        np.testing.assert_allclose(got, want, rtol=RTOL[dtype], atol=RTOL[dtype] * scale)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 2, 5), (64, 40, 30), (5, 12, 1)],
                         ids=["small", "large", "one-sample"])
def test_rows_product_matches_matrix_product(shape, dtype, rng):
    """The first layer's BLAS product on sample-major rows (inference's)."""
    fan_out, fan_in, batch = shape
    W, b, rows = (rng.normal(size=size) for size in ((fan_out, fan_in), fan_out, (batch, fan_in)))
    z_out = np.empty((fan_out, batch), dtype=dtype)
    dense.blas_rows_forward(*(a.astype(dtype) for a in (W, b, rows)), z_out)
    np.testing.assert_allclose(z_out, W @ rows.T + b[:, None], rtol=RTOL[dtype] * 10,
                               atol=1e-4)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 2, 5), (64, 40, 30), (5, 12, 1)],
                         ids=["small", "large", "one-sample"])
def test_rows_weight_gradient_matches_matrix_product(shape, dtype, rng):
    """The first layer's BLAS weight gradient on sample-major rows (training's)."""
    fan_out, fan_in, batch = shape
    delta, rows = rng.normal(size=(fan_out, batch)), rng.normal(size=(batch, fan_in))
    dW, db = np.empty((fan_out, fan_in), dtype=dtype), np.empty(fan_out, dtype=dtype)
    dense.blas_rows_weight_gradient(delta.astype(dtype), rows.astype(dtype), dW, db)
    tol = {"rtol": RTOL[dtype] * 10, "atol": 1e-4}
    np.testing.assert_allclose(dW, delta @ rows, **tol)
    np.testing.assert_allclose(db, delta.sum(axis=1), **tol)


# Small: every product runs as loops. Large: a chunk's first product reads the rows in
# place (BLAS), and the last chunk, of 20 rows, gathers them for the loops; each thread's
# share of the rows has two chunks or more, so that some chunk starts past its first row.
PREDICTED = {"small": ([4, 9, 3], 50),
             "large": ([40, 64, 3], 2 * numba.config.NUMBA_NUM_THREADS * INFERENCE_CHUNK + 20)}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("head", HEADS, ids=lambda h: f"{h[1]}+{h[0]}")
@pytest.mark.parametrize("size", PREDICTED)
def test_predictions_match_reference_forward(size, head, dtype, rng):
    sizes, n_samples = PREDICTED[size]
    net, X, _ = make_problem(sizes, "tanh", head, dtype, rng, n_samples=n_samples)
    first_work = sizes[0] * sizes[1]
    direct = net.layout(INFERENCE_CHUNK, training=False)[2][network.ROWS_PRODUCT] != 0
    assert direct == (first_work * INFERENCE_CHUNK >= dense.BLAS_MIN_WORK) == (size == "large")
    assert 20 * first_work < dense.BLAS_MIN_WORK
    Ws, bs = parameters_float64(net)
    X = X.astype(dtype).astype(np.float64)
    _, zs = naive.forward(Ws, bs, list(net.activation), X)
    z_tilde = zs[-1].T
    tol = {"rtol": RTOL[dtype], "atol": RTOL[dtype]}
    np.testing.assert_allclose(net.decision_function(X), z_tilde, **tol)
    if net.is_classifier:
        np.testing.assert_allclose(
            net.predict_proba(X), naive.OUTPUTS[head[1]](zs[-1]).T, **tol
        )


def test_gradients_are_chunked_consistently(rng):
    """More samples than one work-buffer chunk: the summed chunks equal the reference."""
    from fastmlp import model

    head = ("cross_entropy", "softmax")
    net, X, Y = make_problem([3, 5, 4], "relu", head, "float64", rng,
                             n_samples=model.CHUNK_SAMPLES * 2 + 17)
    Ws, bs = parameters_float64(net)
    dWs, dbs = net.gradients(X, Y)
    ref_dWs, ref_dbs = naive.gradients(Ws, bs, list(net.activation), *head, X, Y)
    for got, want in zip(dWs + dbs, ref_dWs + ref_dbs, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "optimizer",
    [
        {"optimizer": "sgd"},
        {"optimizer": "sgd", "momentum": 0.9},
        {"optimizer": "sgd", "momentum": 0.8, "nesterov": True},
        {"optimizer": "adam"},
    ],
    ids=["sgd", "momentum", "nesterov", "adam"],
)
def test_training_loop_matches_reference(optimizer, dtype, rng):
    """45 samples in batches of 10: the last batch of each epoch has 5."""
    head = ("cross_entropy", "softmax")
    net, X, Y = make_problem([3, 8, 3], "tanh", head, dtype, rng, n_samples=45)
    X = X.astype(dtype).astype(np.float64)
    Ws, bs = parameters_float64(net)
    lr = 0.01 if optimizer["optimizer"] == "adam" else 0.1
    settings = dict(epochs=6, lr=lr, batch_size=10, shuffle=False, l1=1e-3, l2=1e-2, **optimizer)
    net.fit(X, Y, **settings)
    reference = naive.Optimizer(
        optimizer["optimizer"], lr, optimizer.get("momentum", 0.0), optimizer.get("nesterov", False)
    )
    curve = naive.train(Ws, bs, list(net.activation), *head, X, Y, 6, 10, reference, 1e-3, 1e-2)
    np.testing.assert_allclose(net.history["loss"], curve, rtol=RTOL[dtype] * 10)
    for got, want in zip(net.weights + net.biases, Ws + bs, strict=True):
        np.testing.assert_allclose(got, want, rtol=RTOL[dtype] * 10, atol=RTOL[dtype] * 10)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("head", HEADS, ids=lambda h: f"{h[1]}+{h[0]}")
def test_weighted_loss_and_gradients_match_reference(head, dtype, rng):
    net, X, Y = make_problem([3, 6, 4], "tanh", head, dtype, rng)
    Ws, bs = parameters_float64(net)
    X = X.astype(dtype).astype(np.float64)
    weights = rng.uniform(0.0, 3.0, X.shape[0])
    weights[::7] = 0.0  # zero weights are allowed and drop those samples
    l1, l2 = 0.01, 0.02
    expected = naive.objective(Ws, bs, list(net.activation), *head, X, Y, l1, l2, weights)
    got = net.loss(X, Y, l1=l1, l2=l2, sample_weight=weights)
    assert got == pytest.approx(expected, rel=RTOL[dtype])
    dWs, dbs = net.gradients(X, Y, l1=l1, l2=l2, sample_weight=weights)
    ref_dWs, ref_dbs = naive.gradients(Ws, bs, list(net.activation), *head, X, Y, l1, l2, weights)
    scale = max(np.abs(g).max() for g in ref_dWs + ref_dbs)
    for got_grad, want in zip(dWs + dbs, ref_dWs + ref_dbs, strict=True):
        np.testing.assert_allclose(got_grad, want, rtol=RTOL[dtype], atol=RTOL[dtype] * scale)


@pytest.mark.parametrize("dtype", DTYPES)
def test_weighted_training_loop_matches_reference(dtype, rng):
    """Weighted batches of 10 over 45 samples (the last batch has 5), momentum SGD."""
    head = ("binary_cross_entropy", "sigmoid")
    net, X, Y = make_problem([3, 7, 2], "relu", head, dtype, rng, n_samples=45)
    X = X.astype(dtype).astype(np.float64)
    weights = rng.uniform(0.2, 2.0, X.shape[0])
    Ws, bs = parameters_float64(net)
    net.fit(X, Y, epochs=5, lr=0.1, batch_size=10, shuffle=False, momentum=0.9, l2=1e-2,
            sample_weight=weights)
    reference = naive.Optimizer("sgd", 0.1, 0.9)
    curve = naive.train(Ws, bs, list(net.activation), *head, X, Y, 5, 10, reference, 0.0, 1e-2,
                        sample_weight=weights)
    np.testing.assert_allclose(net.history["loss"], curve, rtol=RTOL[dtype] * 10)
    for got, want in zip(net.weights + net.biases, Ws + bs, strict=True):
        np.testing.assert_allclose(got, want, rtol=RTOL[dtype] * 10, atol=RTOL[dtype] * 10)


def test_integer_weights_equal_repeated_samples_in_full_batch(rng):
    head = ("cross_entropy", "softmax")
    net, X, Y = make_problem([3, 5, 3], "tanh", head, "float64", rng, n_samples=20)
    counts = rng.integers(0, 4, X.shape[0])
    counts[0] = 1
    repeated = fastmlp.MLP(net.sizes, activation="tanh", loss="cross_entropy", seed=1)
    repeated.parameters[:] = net.parameters
    net.fit(X, Y, epochs=20, lr=0.2, sample_weight=counts)
    repeated.fit(np.repeat(X, counts, axis=0), np.repeat(Y, counts, axis=0), epochs=20, lr=0.2)
    np.testing.assert_allclose(net.history["loss"], repeated.history["loss"], rtol=1e-12)
    np.testing.assert_allclose(net.parameters, repeated.parameters, rtol=1e-11, atol=1e-13)
