"""scikit-learn's own conformance suite, run on both estimators.

No check is expected to fail. The checks that need pandas or the array API are skipped
by scikit-learn itself when those are missing (``pandas`` is in the ``dev`` extra).
"""

import warnings

from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

from fastmlp import MLPClassifier, MLPRegressor


# max_iter=100 as in scikit-learn's test configuration for its own MLPs.
@parametrize_with_checks([MLPClassifier(max_iter=100), MLPRegressor(max_iter=100)])
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        # A fixed number of epochs on the checks' tiny data sets always ends with a
        # ConvergenceWarning, which says nothing about conformance.
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        check(estimator)
