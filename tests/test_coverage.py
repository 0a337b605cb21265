"""Every estimator ``docs/coverage.md`` lists as converted still converts and agrees with scikit-learn.

The table is written by ``make coverage`` (``docs/estimator_coverage.py``), which fits
each scikit-learn estimator on small generated data, converts it in float32
and float64 and compares onnxruntime's outputs with scikit-learn's.
"""

import copy
import sys
from pathlib import Path

import numpy as np
import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
sys.path.insert(0, str(DOCS))

import estimator_coverage as table  # noqa: E402  (docs/estimator_coverage.py)

CONVERTED = table.converted_in(DOCS / "coverage.md") if (DOCS / "coverage.md").exists() else []
CLASSES = dict(table.estimators())


def test_the_table_exists_and_lists_converted_estimators():
    assert len(CONVERTED) >= 100, "run `make coverage` to write docs/coverage.md"


@pytest.mark.parametrize("name", CONVERTED)
def test_a_converted_estimator_still_converts(name):
    row = table.measure(name, CLASSES[name])
    assert row.converted, (name, row.differences, row.reason)


def test_a_row_stopping_one_iteration_apart_is_compared_with_that_run():
    # LatentDirichletAllocation stops a row once its mean change is below mean_change_tol: the oracle of a float32
    # row is the nearest of scikit-learn's runs with that tolerance moved by up to 10%, and nothing further
    X, _, X_test = table.counts()
    est = CLASSES["LatentDirichletAllocation"](random_state=0).fit(X)
    rows = X_test.astype(np.float32)
    stops_earlier = copy.deepcopy(est)
    stops_earlier.mean_change_tol *= 1.1
    got = stops_earlier.transform(rows)
    plain = est.transform(rows)
    assert np.abs(got - plain).max() > 1e-4  # some rows stop one iteration apart: beyond the float32 tolerance
    [oracle] = table.sklearn_outputs(est, rows, ["variable"], [got])
    np.testing.assert_array_equal(oracle, got)
    wrong = got.copy()
    wrong[3] = wrong[3][::-1]  # a row no run gives
    [oracle] = table.sklearn_outputs(est, rows, ["variable"], [wrong])
    assert np.abs(oracle - wrong).max() > 1e-2
    [as_float64] = table.sklearn_outputs(est, X_test, ["variable"], [got.astype(np.float64)])
    np.testing.assert_array_equal(as_float64, est.transform(X_test))  # float64 rows: scikit-learn's own run only
