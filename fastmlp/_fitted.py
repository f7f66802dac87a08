"""The names of the estimators' fitted attributes, listed once.

:mod:`fastmlp.estimators` and :mod:`fastmlp._sklearn_training` set these attributes;
:mod:`fastmlp.persistence` writes and reads them, and :mod:`fastmlp.convert` copies them
between fastmlp's and scikit-learn's estimators. A fitted attribute added to the
estimators is added here, and model files and conversions follow.

This module imports nothing, so any module can read it without creating an import cycle.

Fitted state that is not listed here because it is handled on its own: ``coefs_`` and
``intercepts_`` (views into the network, stored as its parameter vector), ``classes_``
and ``_label_binarizer`` (a classifier's labels), ``_best_parameters`` (the best
validated weights, stored as an array), and what lives only as long as the Python object
(the network ``_net``, the optimizer state and the current learning rate).
"""

#: Fitted attributes that scikit-learn's MLP estimators have too, with the same meaning.
SHARED = (
    "n_features_in_", "n_iter_", "t_", "loss_", "best_loss_", "loss_curve_",
    "validation_scores_", "best_validation_score_", "n_outputs_", "n_layers_",
    "out_activation_",
)
#: What ``from_sklearn`` and ``to_sklearn`` copy as they are, when the source has them:
#: those, and the input's column names when ``fit`` saw them.
CONVERTED = (*SHARED, "feature_names_in_")
#: fastmlp's own fitted attributes: the validation loss per epoch and the early-stopping
#: state that ``partial_fit`` carries from one call to the next.
OWN = ("val_loss_curve_", "_no_improvement_count", "_early_stopped")
#: What a model file stores in its metadata as JSON (``feature_names_in_`` too, written
#: as a list of strings).
STORED = (*SHARED, *OWN)
