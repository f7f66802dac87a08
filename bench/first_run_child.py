"""One entry point of fastmlp, timed in this fresh process; started by ``first_run.py``.

    python bench/first_run_child.py ENTRY

``ENTRY`` is one of :data:`ENTRIES`. The process times ``import fastmlp``, then each call
of the entry point twice in a row: the first call loads the compiled kernels from Numba's
cache, or compiles them when the cache is empty; the second shows the call's own cost.
It prints one JSON line: ``{"module": fastmlp.__file__, "import_seconds": ...,
"calls": [[label, first_seconds, second_seconds], ...]}``.
"""

import json
import sys
import time
import warnings
from functools import partial


def first_and_second(label, call):
    """Time ``call()`` twice.

    Parameters
    ----------
    label : str
        Name of the call in the report.
    call : callable
        Runs the call; each invocation does the same work from scratch.

    Returns
    -------
    row : list
        ``[label, first_seconds, second_seconds]``.
    result : object
        What the second invocation returned.
    """
    seconds = []
    for _ in range(2):
        start = time.perf_counter()
        result = call()
        seconds.append(time.perf_counter() - start)
    return [label, *seconds], result


def moons_training_set():
    """The two-moons experiment's training split: 350 points of ``make_moons(500, 0.2)``."""
    from sklearn.datasets import make_moons
    from sklearn.model_selection import train_test_split

    X, y = make_moons(500, noise=0.2, random_state=42)
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.3, random_state=42)
    return X_train, y_train


def mlp(fastmlp, dtype):
    """``MLP([2, 10, 1])`` trained on two moons, then its loss, gradients and predictions.

    Parameters
    ----------
    fastmlp : module
        The imported package.
    dtype : {"float64", "float32"}
        Precision of the network.

    Returns
    -------
    list of list
        One ``[label, first_seconds, second_seconds]`` per call.
    """
    X, y = moons_training_set()
    row, net = first_and_second(
        f"`MLP([2, 10, 1]).fit`, {dtype}, two moons, 1000 epochs",
        lambda: fastmlp.MLP([2, 10, 1], activation="tanh", dtype=dtype).fit(
            X, y, epochs=1000, lr=0.5),
    )
    rows = [row]
    for name in ("loss", "gradients", "predict"):
        call = partial(getattr(net, name), *((X,) if name == "predict" else (X, y)))
        rows.append(first_and_second(f"then `net.{name}`", call)[0])
    return rows


def estimator(fastmlp):
    """``MLPClassifier((64,), max_iter=20)`` trained on the digits, then its predictions."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)

    def fit():
        with warnings.catch_warnings():  # 20 epochs do not converge
            warnings.simplefilter("ignore")
            return fastmlp.MLPClassifier(hidden_layer_sizes=(64,), max_iter=20,
                                         random_state=0).fit(X, y)

    row, model = first_and_second("`MLPClassifier((64,)).fit`, digits, 20 epochs", fit)
    return [row, first_and_second("then `predict`", lambda: model.predict(X))[0]]


def playground(fastmlp):
    """``Playground("spiral", hidden=(8, 8, 8)).run(500)``."""
    row, _ = first_and_second(
        '`Playground("spiral", hidden=(8, 8, 8)).run(500)`',
        lambda: fastmlp.Playground("spiral", hidden=(8, 8, 8), seed=0).run(500),
    )
    return [row]


#: Entry points by name: each takes the imported package and returns its timed rows.
ENTRIES = {
    "mlp-float64": lambda fastmlp: mlp(fastmlp, "float64"),
    "mlp-float32": lambda fastmlp: mlp(fastmlp, "float32"),
    "estimator": estimator,
    "playground": playground,
}


def main(argv):
    """Time ``import fastmlp`` and the entry point ``argv[1]``; print the JSON line."""
    if len(argv) != 2 or argv[1] not in ENTRIES:
        sys.exit(f"usage: python {argv[0]} {{{','.join(ENTRIES)}}}")
    start = time.perf_counter()
    import fastmlp

    import_seconds = time.perf_counter() - start
    calls = ENTRIES[argv[1]](fastmlp)
    print(json.dumps({"module": fastmlp.__file__, "import_seconds": import_seconds,
                      "calls": calls}))


if __name__ == "__main__":
    main(sys.argv)
