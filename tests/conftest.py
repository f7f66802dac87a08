"""Shared fixtures, and the hypothesis profiles the property tests run under."""

import numpy as np
import pytest
from hypothesis import HealthCheck, settings


@pytest.fixture
def rng():
    """A seeded generator per test: randomness is reproducible and never drawn at import."""
    return np.random.default_rng(12345)


settings.register_profile("fastmlp", max_examples=40, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("wide", max_examples=300, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("fastmlp")
