"""fastmlp: multi-layer perceptrons trained on the CPU by Numba-compiled kernels.

``MLP`` is the core network. The scikit-learn estimators, the converters and the model
files are imported on first use, so ``import fastmlp`` does not load scikit-learn.
"""

from importlib import import_module

from .model import MLP, DivergenceError

__all__ = [
    "MLP", "DivergenceError", "MLPClassifier", "MLPRegressor", "from_sklearn", "load",
    "save", "__version__",
]
__version__ = "0.1.0"

_LAZY = {
    "MLPClassifier": "estimators",
    "MLPRegressor": "estimators",
    "from_sklearn": "convert",
    "load": "persistence",
    "save": "persistence",
}


def __getattr__(name):
    if name in _LAZY:
        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'fastmlp' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
