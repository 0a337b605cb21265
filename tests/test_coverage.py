"""Every estimator ``docs/coverage.md`` lists as converted still converts and agrees with scikit-learn.

The table is written by ``make coverage`` (``docs/estimator_coverage.py``), which fits
each scikit-learn estimator on small generated data, converts it in float32
and float64 and compares onnxruntime's outputs with scikit-learn's.
"""

import sys
from pathlib import Path

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
