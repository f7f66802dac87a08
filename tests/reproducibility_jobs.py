"""Training and inference calls whose bits must not depend on the thread that runs them,
on other fits running at once, on Numba's thread count or on BLAS's.

Each job returns one float array holding everything it produced (weights, loss curves,
predictions). Most batches are large enough to be split into several groups (see
``fastmlp._kernels.network.group_count``) and some products large enough for BLAS,
including a matrix-vector product (one output), which OpenBLAS sums in pieces per thread.

Run as a script, it computes every job and saves them to the ``.npz`` file it is given:
``python reproducibility_jobs.py OUT.npz``, in a child process with other settings.
"""

import sys
import warnings

import numpy as np
import scipy.sparse as sp

import fastmlp

_rng = np.random.default_rng(7)
#: A 1-output network on 20,000 rows: the whole set in 8 groups, each product of the
#: output layer a BLAS matrix-vector product.
WIDE_X = _rng.normal(size=(20_000, 10))
WIDE_y = (WIDE_X[:, 0] + 0.5 * WIDE_X[:, 1] > 0).astype(float)
#: A network whose first layer goes to BLAS (64 x 96 weights): batches of 600 in 4 groups.
TABLE_X = _rng.normal(size=(3_000, 64))
TABLE_y = (TABLE_X[:, :3] @ np.array([1.0, -1.0, 0.5]) > 0).astype(int) + (TABLE_X[:, 3] > 1)
SPARSE_X = sp.random(4_000, 200, density=0.05, format="csr", random_state=3,
                     data_rvs=lambda n: _rng.normal(size=n))
SPARSE_y = (np.asarray(SPARSE_X.sum(axis=1)).ravel() > 0).astype(float)


def flat(*arrays):
    return np.concatenate([np.ravel(np.asarray(array, dtype=np.float64)) for array in arrays])


def fitted(estimator):
    curve = estimator.loss_curve_ if estimator.loss_curve_ is not None else []  # lbfgs: none
    return flat(*estimator.coefs_, *estimator.intercepts_, estimator.loss_, curve)


def mlp_full_batch():
    net = fastmlp.MLP([10, 32, 1], activation="relu", seed=0)
    net.fit(WIDE_X, WIDE_y, epochs=3, lr=0.1)
    return flat(net.parameters, net.history["loss"])


def mlp_adam_float32():
    net = fastmlp.MLP([64, 96, 3], activation="relu", loss="cross_entropy", dtype="float32",
                      seed=1)
    net.fit(TABLE_X, TABLE_y, epochs=3, lr=1e-3, batch_size=600, optimizer="adam", l2=1e-3)
    return flat(net.parameters, net.history["loss"])


def mlp_momentum_dropout():
    net = fastmlp.MLP([10, 32, 16, 1], activation="tanh", seed=2)
    net.fit(WIDE_X, WIDE_y, epochs=2, lr=0.05, batch_size=8_000, momentum=0.9,
            dropout=0.3)
    return flat(net.parameters, net.history["loss"])


def mlp_sparse():
    net = fastmlp.MLP([200, 32, 1], activation="relu", seed=3)
    net.fit(SPARSE_X, SPARSE_y, epochs=3, lr=0.1, batch_size=2_000)
    return flat(net.parameters, net.history["loss"])


def mlp_loss_gradients_predict():
    net = fastmlp.MLP([64, 96, 3], activation="sigmoid", loss="cross_entropy", seed=4)
    dW, db = net.gradients(TABLE_X, TABLE_y, l2=0.01)
    wide = fastmlp.MLP([10, 32, 1], activation="relu", seed=5)
    return flat(net.loss(TABLE_X, TABLE_y, l1=0.01), *dW, *db, net.predict_proba(TABLE_X),
                wide.predict_proba(WIDE_X), wide.gradients(WIDE_X, WIDE_y)[0][1])


def classifier_adam():
    return fitted(fastmlp.MLPClassifier(hidden_layer_sizes=(96,), batch_size=600, max_iter=3,
                                        random_state=0).fit(TABLE_X, TABLE_y))


def classifier_sgd_early_stopping():
    return fitted(fastmlp.MLPClassifier(
        hidden_layer_sizes=(96, 32), solver="sgd", batch_size=1_000, max_iter=3,
        early_stopping=True, random_state=1).fit(TABLE_X, TABLE_y))


def classifier_lbfgs():
    return fitted(fastmlp.MLPClassifier(hidden_layer_sizes=(96,), solver="lbfgs", max_iter=8,
                                        random_state=2).fit(TABLE_X, TABLE_y))


def classifier_sparse_dropout():
    return fitted(fastmlp.MLPClassifier(hidden_layer_sizes=(32,), batch_size=2_000,
                                        max_iter=3, dropout=0.2, random_state=3)
                  .fit(SPARSE_X, SPARSE_y))


def regressor_partial_fit():
    regressor = fastmlp.MLPRegressor(hidden_layer_sizes=(96,), batch_size=1_000,
                                     random_state=4)
    target = TABLE_X[:, 0] - TABLE_X[:, 1] ** 2
    for _ in range(3):
        regressor.partial_fit(TABLE_X, target)
    return flat(fitted(regressor), regressor.predict(TABLE_X))


def playground():
    run = fastmlp.Playground("spiral", hidden=(8, 8, 8), seed=0).run(30)
    return flat(run.network.parameters, run.history["train_loss"], run.history["test_loss"])


JOBS = {job.__name__: job for job in (
    mlp_full_batch, mlp_adam_float32, mlp_momentum_dropout, mlp_sparse,
    mlp_loss_gradients_predict, classifier_adam, classifier_sgd_early_stopping,
    classifier_lbfgs, classifier_sparse_dropout, regressor_partial_fit, playground,
)}


def run_all():
    """Every job's result, by name."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings of these short fits
        return {name: job() for name, job in JOBS.items()}


if __name__ == "__main__":
    np.savez(sys.argv[1], **run_all())
