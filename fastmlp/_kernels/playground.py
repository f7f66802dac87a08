"""The Neural Network Playground's training loop, in compiled code.

It differs from :mod:`.train` in exactly the ways the Playground does:

* Points are visited in the same fixed order every epoch. Each point's gradient of
  ``1/2 (out - label)^2`` is added to an accumulator; after the point at (1-based)
  position ``k * batch_size`` in the epoch, the parameters are updated with the mean of
  everything accumulated since the last update, ``w -= (lr / n) sum dE/dw``. Points left
  over at the end of an epoch stay in the accumulator and join the next epoch's first
  update (``n`` is then larger than ``batch_size``).
* After the gradient step, each weight (never a bias) is regularised from its value
  *before* that step: ``w <- w - lr rate R'(w_old)`` with ``R'(w) = w`` (L2) or
  ``sign(w)`` (L1, 0 at 0). An L1 step that carries a weight across zero sets it to 0
  and kills the link: a dead link keeps weight 0 and is never updated again.
* After every epoch the Playground's figures are computed on the whole training and
  test sets: the mean of ``1/2 (out - label)^2`` (no penalty) and, for classification,
  the share of test points whose output has the label's sign (output >= 0 counts as +1).
* An epoch whose training or test loss is not finite ends the run: its losses are
  recorded as they came out (``inf`` where the outputs overflowed, NaN where they or the
  weights became NaN: the app shows "Infinity" and "NaN"), and the parameters and the
  dead-link flags are put back as they were before that epoch.

Summing a segment of points through one batched backward pass adds the same terms as
the Playground's point-by-point accumulation, in a different order (equal up to rounding).
"""

import numpy as np

from .._config import jit, jit_inline
from . import calls, network
from .views import as_vector, copy_vector

NO_REGULARIZATION, L1, L2 = 0, 1, 2

#: Public regularisation names and their kernel codes.
REGULARIZATION_CODES = {None: NO_REGULARIZATION, "l1": L1, "l2": L2}


@jit_inline
def apply_update(theta, accumulated, count, dead, w_offsets, sizes, lr, reg_code, reg_rate):
    """One Playground update of ``theta`` from ``count`` accumulated point gradients."""
    step = lr / count
    reg_step = lr * reg_rate
    zero = theta.dtype.type(0.0)
    for layer in range(sizes.shape[0] - 1):
        W = as_vector(network.weight_view(theta, w_offsets, sizes, layer))
        dW = as_vector(network.weight_view(accumulated, w_offsets, sizes, layer))
        start = w_offsets[layer]
        for i in range(W.size):
            if dead[start + i]:
                continue
            w_old = W[i]
            w = w_old - step * dW[i]
            if reg_code == L2:
                new = w - reg_step * w_old
            elif reg_code == L1:
                sign = (w_old > zero) - (w_old < zero)
                new = w - reg_step * sign
                if w * new < zero:  # crossed zero: the link dies
                    new = zero
                    dead[start + i] = True
            else:
                new = w
            W[i] = new
        b = network.bias_view(theta, w_offsets, sizes, layer)
        db = network.bias_view(accumulated, w_offsets, sizes, layer)
        for i in range(b.size):
            b[i] -= step * db[i]
    accumulated.fill(zero)


@jit_inline
def all_finite(values):
    """Whether every entry of the 1-D array ``values`` is finite."""
    for i in range(values.size):
        if not np.isfinite(values[i]):
            return False
    return True


@jit_inline
def set_figures(outputs, Y, classification):
    """Mean ``1/2 (out - label)^2`` and (classification) the share of matching signs."""
    total = 0.0
    correct = 0
    n = outputs.shape[0]
    for j in range(n):
        difference = outputs[j, 0] - Y[j, 0]
        total += 0.5 * difference * difference
        correct += (outputs[j, 0] >= 0) == (Y[j, 0] > 0)
    accuracy = correct / n if classification else np.nan
    return total / n, accuracy


@jit
def playground_epochs(theta, layout, train, test, rule, memory, work, driver, inference,
                      backups, n_epochs, batch_size, figures):
    """Run up to ``n_epochs`` Playground epochs; see the module docstring.

    Parameters
    ----------
    theta : ndarray, shape (n_params,)
        Parameters (dead links at 0), updated in place.
    layout : tuple
        The network (see :mod:`.network`).
    train, test : tuple ``(X, Y)``
        Features ``(n, n_features)`` and targets ``(n, 1)``, row-major, theta's dtype.
    rule : tuple ``(lr, reg_code, reg_rate, classification)``
        Learning rate and regularisation rate (theta's dtype), :data:`NO_REGULARIZATION`,
        :data:`L1` or :data:`L2`, and whether to report accuracy.
    memory : tuple ``(dead, accumulated, count)``
        Dead-link flags (bool, ``(n_params,)``, biases never), the gradient sum carried
        between epochs (and calls) and, in ``count[0]``, its number of points; updated in
        place.
    work : tuple
        Work buffers of :func:`.network.batch_loss_and_gradient` for ``batch_size``.
    driver : int
        The native address of the batch driver for ``work`` (see :func:`.train.train_epochs`).
    inference : tuple ``(predict, a_offsets, acts, scratch, out_train, out_test)``
        The native address of :func:`.network.predict`, its buffers (one slot) and the
        outputs for the per-epoch figures.
    backups : tuple ``(backup, dead_backup)``
        Work space: the parameters and the dead-link flags at the start of the epoch.
    figures : tuple ``(train_losses, test_losses, test_accuracy)``, each ``(n_epochs,)``
        Receive each epoch's figures.

    Returns
    -------
    (int, bool, bool)
        Epochs completed; whether the run stopped at an epoch whose training or test loss
        was not finite (its losses are recorded as computed, ``inf`` or NaN, its accuracy
        as NaN, and ``theta`` and ``dead`` are restored to their values before that
        epoch); and whether the weights were all finite at the end of that epoch (True
        when the run did not stop).
    """
    w_offsets, sizes, _ = layout
    X_train, Y_train = train
    X_test, Y_test = test
    lr, reg_code, reg_rate, classification = rule
    dead, accumulated, count = memory
    predict, predict_a_offsets, predict_acts, predict_scratch, out_train, out_test = inference
    backup, dead_backup = backups
    train_losses, test_losses, test_accuracy = figures
    group_grads = work[5]
    n_train = X_train.shape[0]
    # Empty views rather than new arrays: compiled code allocates nothing. The dropout key
    # is never read without rates.
    no_order = predict_a_offsets[:0]
    no_csr = (theta[:0], predict_a_offsets[:0], predict_a_offsets[:0])
    train_rows = (X_train, *no_csr)
    test_rows = (X_test, *no_csr)
    train_targets = (Y_train, theta[:0])
    no_dropout = (theta[:0], predict_a_offsets[:1].view(np.uint64))
    one = theta.dtype.type(1.0)
    grad = group_grads[0]
    with_gradient = np.bool_(True)
    gathered = np.bool_(False)
    for epoch in range(n_epochs):
        copy_vector(theta, backup)
        copy_vector(dead, dead_backup)
        for start in range(0, n_train, batch_size):
            m = min(batch_size, n_train - start)
            calls.batch_loss_and_gradient(driver, (theta, layout, train_rows, train_targets,
                                                   no_order, start, m, one, with_gradient, work,
                                                   gathered, no_dropout))
            for i in range(grad.size):
                accumulated[i] += grad[i]
            count[0] += m
            if m == batch_size:  # the point at position k * batch_size: update
                apply_update(theta, accumulated, count[0], dead, w_offsets, sizes, lr,
                             reg_code, reg_rate)
                count[0] = 0
        for rows, out in ((train_rows, out_train), (test_rows, out_test)):
            calls.predict(predict, (theta, layout, predict_a_offsets, rows, np.bool_(True), out,
                                    predict_acts, predict_scratch))
        train_loss, _ = set_figures(out_train, Y_train, classification)
        test_loss, accuracy = set_figures(out_test, Y_test, classification)
        train_losses[epoch] = train_loss
        test_losses[epoch] = test_loss
        if not (np.isfinite(train_loss) and np.isfinite(test_loss)):
            test_accuracy[epoch] = np.nan
            weights_finite = all_finite(theta)
            copy_vector(backup, theta)
            copy_vector(dead_backup, dead)
            return epoch, True, weights_finite
        test_accuracy[epoch] = accuracy
    return n_epochs, False, True
