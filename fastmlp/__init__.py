"""fastmlp: multi-layer perceptrons trained on the CPU by Numba-compiled kernels.

``MLP`` is the core network. It, the scikit-learn estimators, the converters, the model
files, the Playground, the plots and :func:`compile` are imported on first use, so
``import fastmlp`` (and ``fastmlp --help``) loads neither Numba, scikit-learn nor
matplotlib.
"""

from importlib import import_module

__all__ = [
    "MLP", "DivergenceError", "MLPClassifier", "MLPRegressor", "from_sklearn", "load",
    "save", "Playground", "plot_decision_boundary", "plot_loss", "datasets", "features",
    "playground", "plotting", "compile", "__version__",
]
__version__ = "0.1.0"

_LAZY = {
    "MLP": "model",
    "DivergenceError": "model",
    "compile": "compiling",
    "MLPClassifier": "estimators",
    "MLPRegressor": "estimators",
    "from_sklearn": "convert",
    "load": "persistence",
    "save": "persistence",
    "Playground": "playground",
    "plot_decision_boundary": "plotting",
    "plot_loss": "plotting",
}
_SUBMODULES = ("datasets", "features", "playground", "plotting")


def __getattr__(name):
    if name in _SUBMODULES:
        return import_module(f".{name}", __name__)
    if name in _LAZY:
        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'fastmlp' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
