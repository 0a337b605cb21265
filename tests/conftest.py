"""Shared test setup.

scikit-learn estimators left at ``random_state=None`` (liblinear's shuffling in ``LinearSVC``, for one) draw from
numpy's global random state, so without this a test's fitted model would depend on which tests ran before it: on
the selection (``make test-oldest`` runs a subset) and on which tests a machine skips. Every test starts from the
same state instead, and a failure seen on one machine is the one seen on another.
"""

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _same_global_random_state():
    np.random.seed(0)
