"""Model files that are safe to load: ``save(model, path)`` and ``load(path)``.

A model file is a zip archive that ``numpy.load(path, allow_pickle=False)`` can read:

* ``metadata.json``: the format name and version, the kind of model, the network's
  architecture, the estimator's parameters and fitted attributes, and a SHA-256 digest
  of the parameters;
* ``parameters.npy``: every weight and bias in one vector (:attr:`fastmlp.MLP.parameters`);
* ``classes.npy``: the class labels of a classifier (numbers, booleans or strings);
* ``best_parameters.npy``: with early stopping in ``partial_fit``, the best validated
  weights so far, which the next calls may still restore.

Version 2 of the format added the estimators' newer parameters (``class_weight``,
``progress_bar``, the Poisson loss, ``n_iter_no_change=np.inf``) and the early-stopping
state of ``partial_fit``; version-1 files still load, with those parameters at their
defaults.

Loading reads JSON and plain numeric or string arrays only; nothing in a file can run
code. A file that is truncated, altered, written by an unknown format version, or
describes parameters that do not fit its network, or are not finite, is refused with a
``ValueError`` that says what is wrong. Pickle and joblib work too, but they execute
code from the file and should only be used on files you trust.

Optimizer state (momentum, Adam moments) is not stored: ``partial_fit`` or a
``warm_start`` fit after loading starts a fresh optimizer on the saved weights.

The fitted attributes written to the metadata are listed in :mod:`fastmlp._fitted`. The
kinds of model a file can hold register themselves with :func:`model_kind` (``MLP``,
``MLPClassifier``, ``MLPRegressor``), so this module imports none of them: they import it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import warnings
import zipfile

import numpy as np

from . import _fitted

FORMAT = "fastmlp"
FORMAT_VERSION = 2
#: Versions this release reads.
READABLE_VERSIONS = (1, 2)
_METADATA = "metadata.json"
# Array members are stored as "<name>.npy"; numpy.load lists them as "<name>".
_PARAMETERS = "parameters"
_CLASSES = "classes"
_BEST = "best_parameters"
_MEMBERS = {_METADATA, _PARAMETERS, _CLASSES, _BEST}

#: How a dict whose keys are not all strings (``class_weight``) is written in JSON.
_ITEMS = "__items__"


def _digest(parameters):
    return hashlib.sha256(np.ascontiguousarray(parameters).tobytes()).hexdigest()


def _plain(value):
    """``value`` with numpy scalars and tuples turned into JSON types."""
    if isinstance(value, dict):
        return {_ITEMS: [[_plain(key), _plain(item)] for key, item in value.items()]}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, np.ndarray):
        return [_plain(item) for item in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, type) and issubclass(value, np.generic):
        return np.dtype(value).name
    return value


def _from_plain(value):
    """Undo :func:`_plain`'s encoding of dicts (keys of any JSON scalar type)."""
    if isinstance(value, dict):
        _require(set(value) == {_ITEMS} and isinstance(value[_ITEMS], list)
                 and all(isinstance(pair, list) and len(pair) == 2 for pair in value[_ITEMS]),
                 "invalid dict in the parameters")
        return {key: _from_plain(item) for key, item in value[_ITEMS]}
    return value


def _network_metadata(net):
    return {
        "sizes": list(net.sizes),
        "activation": list(net.activation),
        "loss": net.loss_name,
        "output": net.output,
        "dtype": np.dtype(net.dtype).name,
        "init": net.init,
        "init_scale": net.init_scale,
        "seed": net.seed,
    }


#: The classes a model file can hold, by the ``kind`` its metadata names.
MODEL_KINDS: dict[str, type] = {}


def model_kind(cls: type) -> type:
    """Class decorator: files of kind ``cls.__name__`` hold a ``cls`` (and a subclass of
    ``cls`` is saved as one). ``"MLP"`` is the network, any other kind an estimator."""
    MODEL_KINDS[cls.__name__] = cls
    return cls


def _kind(model) -> str | None:
    """The registered kind of ``model``: its class's, or that of its nearest base class."""
    for cls in type(model).__mro__:
        if MODEL_KINDS.get(cls.__name__) is cls:
            return cls.__name__
    return None


def save(model, path) -> None:
    """Write ``model`` (a fitted :class:`fastmlp.MLP`, ``MLPClassifier`` or ``MLPRegressor``).

    Parameters
    ----------
    model : fastmlp.MLP, fastmlp.MLPClassifier or fastmlp.MLPRegressor
    path : str or os.PathLike
        Target file, replaced if it exists (written to a temporary file first, so an
        interrupted save never leaves a half-written model at ``path``).
    """
    classes = None
    kind = _kind(model)
    if kind == "MLP":
        net = model
        metadata = {"kind": "MLP",
                    "history": {k: _plain(v) for k, v in model.history.items()}}
    elif kind is not None:
        if not hasattr(model, "_net"):
            raise ValueError(f"this {type(model).__name__} is not fitted yet; call fit first")
        net = model._network()
        params = model.get_params()
        if isinstance(params.get("random_state"), np.random.RandomState):
            warnings.warn("random_state is a RandomState instance, which a model file cannot "
                          "hold; it is saved as None", UserWarning, stacklevel=2)
            params["random_state"] = None
        fitted = {name: _plain(getattr(model, name))
                  for name in _fitted.STORED if hasattr(model, name)}
        if hasattr(model, "feature_names_in_"):
            fitted["feature_names_in_"] = [str(n) for n in model.feature_names_in_]
        metadata = {"kind": kind,
                    "params": {name: _plain(value) for name, value in params.items()},
                    "fitted": fitted}
        if hasattr(model, "classes_"):
            classes = np.asarray(model.classes_)
            if classes.dtype == object:
                if not all(isinstance(c, str) for c in classes):
                    raise ValueError(
                        "classes_ mixes types a model file cannot hold without pickle; use "
                        "numbers or strings as labels"
                    )
                classes = classes.astype(str)
            metadata["label_type"] = model._label_binarizer.y_type_
    else:
        raise TypeError(
            f"save needs a fastmlp MLP, MLPClassifier or MLPRegressor, got {type(model).__name__}"
        )
    metadata.update({
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "network": _network_metadata(net),
        "parameters_sha256": _digest(net.parameters),
    })
    arrays = {_PARAMETERS: net.parameters}
    if classes is not None:
        arrays[_CLASSES] = classes
    best = getattr(model, "_best_parameters", None)
    if kind != "MLP" and best is not None and model.early_stopping:
        arrays[_BEST] = best
        metadata["best_parameters_sha256"] = _digest(best)
    path = os.fspath(path)
    temporary = f"{path}.tmp-{os.getpid()}"
    try:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(_METADATA, json.dumps(metadata, indent=1))
            for name, array in arrays.items():
                buffer = io.BytesIO()
                np.lib.format.write_array(buffer, np.ascontiguousarray(array),
                                          allow_pickle=False)
                archive.writestr(f"{name}.npy", buffer.getvalue())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


class _RefusedError(ValueError):
    pass


def _require(condition, message):
    if not condition:
        raise _RefusedError(message)


def load(path):
    """Read a model written by :func:`save` (or a model's ``save`` method).

    Returns
    -------
    fastmlp.MLP, fastmlp.MLPClassifier or fastmlp.MLPRegressor

    Raises
    ------
    ValueError
        When the file is not a fastmlp model file, is damaged or truncated, comes from an
        unsupported format version, or holds parameters that do not match its network
        or are not finite.
    """
    path = os.fspath(path)
    damaged = f"{path} is not a fastmlp model file, or it is damaged or truncated"
    if os.path.isfile(path) and not zipfile.is_zipfile(path):
        raise ValueError(
            f"{path} is not a fastmlp model file (or one damaged or truncated): model files "
            "are zip archives written by fastmlp.save or a model's save method, and this "
            "file is not a zip archive. (A pickle or joblib file of a model is read with "
            "pickle.load or joblib.load, and only from a source you trust.)"
        )
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = set(archive.files)
            _require(_METADATA in names and _PARAMETERS in names,
                     f"missing {_METADATA} or {_PARAMETERS}.npy")
            _require(names <= _MEMBERS, f"unexpected members {sorted(names - _MEMBERS)}")
            metadata = json.loads(archive[_METADATA])
            parameters = archive[_PARAMETERS]
            classes = archive[_CLASSES] if _CLASSES in names else None
            best = archive[_BEST] if _BEST in names else None
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except _RefusedError as error:
        raise ValueError(f"{path} is not a usable fastmlp model file: {error}") from None
    except Exception as error:  # any failure to parse untrusted bytes means a bad file
        raise ValueError(f"{damaged} ({type(error).__name__}: {error})") from None
    try:
        return _build(metadata, parameters, classes, best)
    except _RefusedError as error:
        raise ValueError(f"{path} is not a usable fastmlp model file: {error}") from None
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{damaged} ({type(error).__name__}: {error})") from None


def _build(metadata, parameters, classes, best=None):
    _require(isinstance(metadata, dict) and metadata.get("format") == FORMAT,
             "it does not declare the fastmlp format")
    version = metadata.get("format_version")
    _require(version in READABLE_VERSIONS,
             f"format_version {version!r} is not supported (this fastmlp reads versions "
             f"{', '.join(map(str, READABLE_VERSIONS))}); use the fastmlp release that wrote it")
    network = metadata.get("network")
    _require(isinstance(network, dict), "no network description")
    try:
        net = MODEL_KINDS["MLP"](
            network["sizes"], activation=network["activation"], loss=network["loss"],
            output=network["output"], init=network["init"],
            init_scale=network["init_scale"], dtype=network["dtype"], seed=network["seed"])
    except (KeyError, TypeError, ValueError) as error:
        raise _RefusedError(f"invalid network description ({error})") from None
    _require(parameters.dtype == np.dtype(net.dtype) and parameters.shape == net.parameters.shape,
             f"parameters of dtype {parameters.dtype} and shape {parameters.shape} do not fit "
             f"the network {list(net.sizes)} ({net.parameters.size} {np.dtype(net.dtype).name})")
    _require(metadata.get("parameters_sha256") == _digest(parameters),
             "the parameters do not match their checksum (the file was altered or damaged)")
    _require(bool(np.isfinite(parameters).all()), "the parameters contain NaN or infinity")
    net.parameters[:] = parameters
    kind = metadata.get("kind")
    if kind == "MLP":
        history = metadata.get("history", {})
        _require(isinstance(history, dict), "invalid history")
        net.history = {str(k): np.asarray(v, dtype=np.float64) for k, v in history.items()}
        return net
    _require(kind in MODEL_KINDS, f"unknown model kind {kind!r}")
    params = metadata.get("params")
    _require(isinstance(params, dict), "no estimator parameters")
    params = {name: _from_plain(value) for name, value in params.items()}
    if isinstance(params.get("hidden_layer_sizes"), list):
        params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
    try:
        model = MODEL_KINDS[kind](**params)
        model._check_hyperparameters()
    except (TypeError, ValueError) as error:
        raise _RefusedError(f"invalid estimator parameters ({error})") from None
    fitted = metadata.get("fitted")
    _require(isinstance(fitted, dict) and set(fitted) <= {*_fitted.STORED, "feature_names_in_"},
             "invalid fitted attributes")
    for name, value in fitted.items():
        setattr(model, name, value)
    if "feature_names_in_" in fitted:
        model.feature_names_in_ = np.asarray(fitted["feature_names_in_"], dtype=object)
    _require(model.n_features_in_ == net.sizes[0] and model.n_outputs_ == net.sizes[-1],
             "fitted attributes do not match the network")
    if kind == "MLPClassifier":
        _restore_labels(model, classes, metadata.get("label_type"), net.sizes[-1])
    if best is not None:
        _require(best.dtype == parameters.dtype and best.shape == parameters.shape
                 and metadata.get("best_parameters_sha256") == _digest(best)
                 and bool(np.isfinite(best).all()),
                 "the best validated parameters do not match the network or their checksum")
        model._best_parameters = best.copy()
    model._set_network(net)
    return model


def _restore_labels(model, classes, label_type, n_outputs):
    from sklearn.preprocessing import LabelBinarizer

    _require(classes is not None and classes.ndim == 1, "a classifier needs its classes")
    binarizer = LabelBinarizer()
    if label_type == "multilabel-indicator":
        _require(classes.size == n_outputs >= 2, "classes do not match the outputs")
        binarizer.fit(np.vstack([np.zeros(n_outputs, int), np.ones(n_outputs, int)]))
    else:
        _require(label_type in ("binary", "multiclass"), f"unknown label type {label_type!r}")
        binarizer.fit(classes)
        expected_outputs = 1 if label_type == "binary" else classes.size
        _require(expected_outputs == n_outputs, "classes do not match the outputs")
    _require(binarizer.y_type_ == label_type and np.array_equal(binarizer.classes_, classes),
             "classes do not match their label type")
    model._label_binarizer = binarizer
    model.classes_ = binarizer.classes_
