"""Random number generators from a user's ``random_state``."""

from __future__ import annotations

import numbers

import numpy as np


def as_generator(random_state) -> np.random.Generator:
    """A ``numpy.random.Generator`` from None, an int, a Generator or a RandomState.

    A RandomState is consumed once to seed a new Generator, so that legacy seeding code keeps
    working; a Generator is used as it is (its state advances).
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**31 - 1))
    if random_state is None or isinstance(random_state, numbers.Integral):
        return np.random.default_rng(random_state)
    raise ValueError(f"random_state must be None, an int or a numpy Generator/RandomState; "
                     f"got {random_state!r}.")
