"""fastmlp: multi-layer perceptrons trained on the CPU by Numba-compiled kernels."""

from .model import MLP, DivergenceError

__all__ = ["MLP", "DivergenceError", "__version__"]
__version__ = "0.1.0"
