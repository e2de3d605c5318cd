"""Shared fixtures and markers for the test suite."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

# Two test workers share two cores: one thread each avoids oversubscription in torch and BLAS.
os.environ.setdefault("OMP_NUM_THREADS", "1")

REAL_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def pytest_configure(config):
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover - torch is a hard dependency
        pass
    # Plots are drawn off-screen in tests.
    os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_collection_modifyitems(config, items):
    import torch

    skip_cuda = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "cuda" in item.keywords and not torch.cuda.is_available():
            item.add_marker(skip_cuda)


@pytest.fixture
def real_data() -> Path:
    """The real speech folder (EmoDB, URDU, noise); skips the test when it is absent."""
    if not REAL_DATA.is_dir():
        pytest.skip(f"real speech data not found at {REAL_DATA}")
    return REAL_DATA


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)
