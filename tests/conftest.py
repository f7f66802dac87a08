import numpy as np
import pytest


@pytest.fixture
def rng():
    """A seeded generator per test: randomness is reproducible and never drawn at import."""
    return np.random.default_rng(12345)
