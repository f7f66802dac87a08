"""class_weight for MLPClassifier: scikit-learn's meaning, as a factor on sample weights."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.metrics import recall_score
from sklearn.utils.class_weight import compute_sample_weight

import fastmlp
from fastmlp import MLPClassifier

PARAMS = dict(hidden_layer_sizes=(8,), max_iter=15, random_state=0, tol=0.0,
              learning_rate_init=0.01)


def imbalanced(n_samples=600, n_classes=2, seed=0):
    weights = [0.9, 0.1] if n_classes == 2 else [0.7, 0.2, 0.1]
    return make_classification(n_samples, 6, n_informative=3, n_redundant=0,
                               n_classes=n_classes, n_clusters_per_class=1, weights=weights,
                               class_sep=0.6, random_state=seed)


def assert_identical(a, b):
    for got, want in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True):
        np.testing.assert_array_equal(got, want)
    assert a.loss_curve_ == b.loss_curve_


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_class_weight_equals_the_equivalent_sample_weight_exactly(solver, n_classes):
    X, y = imbalanced(n_classes=n_classes)
    labels = np.array(["cat", "dog", "emu"])[y]  # string labels, as users have them
    class_weight = {"cat": 0.5, "dog": 3.0} if n_classes == 2 else {"dog": 2.5, "emu": 4.0}
    by_class = MLPClassifier(solver=solver, class_weight=class_weight, **PARAMS).fit(X, labels)
    equivalent = np.array([class_weight.get(label, 1.0) for label in labels])
    by_sample = MLPClassifier(solver=solver, **PARAMS).fit(X, labels, sample_weight=equivalent)
    assert_identical(by_class, by_sample)
    # With sample weights as well, the two multiply.
    extra = np.random.default_rng(0).uniform(0.5, 2.0, len(X))
    both = MLPClassifier(solver=solver, class_weight=class_weight, **PARAMS).fit(
        X, labels, sample_weight=extra)
    product = MLPClassifier(solver=solver, **PARAMS).fit(X, labels,
                                                         sample_weight=extra * equivalent)
    assert_identical(both, product)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_balanced_is_sklearns_balanced_weighting():
    X, y = imbalanced(n_classes=3)
    balanced = MLPClassifier(class_weight="balanced", **PARAMS).fit(X, y)
    weights = compute_sample_weight("balanced", y)
    assert_identical(balanced, MLPClassifier(**PARAMS).fit(X, y, sample_weight=weights))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_balanced_raises_minority_recall_on_an_imbalanced_problem():
    X, y = imbalanced(n_samples=2000, seed=1)
    X_test, y_test = imbalanced(n_samples=4000, seed=2)
    params = dict(hidden_layer_sizes=(16,), max_iter=40, random_state=0)
    plain = MLPClassifier(**params).fit(X, y)
    balanced = MLPClassifier(class_weight="balanced", **params).fit(X, y)
    plain_recall = recall_score(y_test, plain.predict(X_test), pos_label=1)
    balanced_recall = recall_score(y_test, balanced.predict(X_test), pos_label=1)
    assert balanced_recall > plain_recall + 0.1, (plain_recall, balanced_recall)


def test_class_weight_in_partial_fit_and_its_refusals():
    X, y = imbalanced()
    weights = {0: 1.0, 1: 5.0}
    streamed = MLPClassifier(class_weight=weights, **PARAMS)
    by_sample = MLPClassifier(**PARAMS)
    for block in np.array_split(np.arange(len(X)), 4):
        streamed.partial_fit(X[block], y[block], classes=[0, 1])
        by_sample.partial_fit(X[block], y[block], classes=[0, 1],
                              sample_weight=np.where(y[block] == 1, 5.0, 1.0))
    assert_identical(streamed, by_sample)
    with pytest.raises(ValueError, match="compute_class_weight"):
        MLPClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match=r"keys \[7\] that are not classes"):
        MLPClassifier(class_weight={7: 2.0}, max_iter=1).fit(X, y)
    with pytest.raises(ValueError, match="class_weight must be None, 'balanced' or a dict"):
        MLPClassifier(class_weight="auto", max_iter=1).fit(X, y)
    with pytest.raises(ValueError, match=r"class_weight\[1\] must be >= 0"):
        MLPClassifier(class_weight={1: -1.0}, max_iter=1).fit(X, y)
    with pytest.raises(ValueError, match="every sample with weight 0"):
        MLPClassifier(class_weight={0: 0.0, 1: 0.0}, max_iter=1).fit(X, y)
    with pytest.raises(ValueError, match="multi-label"):
        MLPClassifier(class_weight={0: 2.0}, max_iter=1).fit(X, np.column_stack([y, 1 - y]))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_class_weight_round_trips_params_clone_pickle_and_files(tmp_path):
    import pickle

    X, y = imbalanced()
    model = MLPClassifier(class_weight={0: 1.0, 1: 4.0}, **PARAMS).fit(X, y)
    assert clone(model).get_params()["class_weight"] == {0: 1.0, 1: 4.0}
    for copy in (pickle.loads(pickle.dumps(model)), _saved_and_loaded(model, tmp_path)):
        assert copy.get_params() == model.get_params()
        np.testing.assert_array_equal(copy.predict_proba(X), model.predict_proba(X))


def _saved_and_loaded(model, directory):
    path = directory / "model.fastmlp"
    model.save(path)
    return fastmlp.load(path)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_grid_search_over_the_new_parameters_refits_the_best():
    from sklearn.model_selection import GridSearchCV

    X, y = imbalanced(n_samples=300)
    grid = {"class_weight": [None, "balanced"], "dropout": [0.0, 0.3]}
    search = GridSearchCV(MLPClassifier(hidden_layer_sizes=(8,), max_iter=10, random_state=0),
                          grid, cv=3, scoring="balanced_accuracy").fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    best = MLPClassifier(hidden_layer_sizes=(8,), max_iter=10, random_state=0,
                         **search.best_params_).fit(X, y)
    np.testing.assert_array_equal(search.best_estimator_.predict_proba(X),
                                  best.predict_proba(X))
