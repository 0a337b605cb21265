"""Sphinx configuration of onnxalgebra's documentation (``make docs``).

Sphinx, as numpy, scikit-learn and onnx use: the API reference comes from
the docstrings (autodoc), their examples run (the doctest builder), pages are
Markdown (MyST) and the notebooks are rendered executed (myst-nb).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import onnxalgebra

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

project = "onnxalgebra"
author = "the onnxalgebra authors"
copyright = "2026, the onnxalgebra authors"
release = version = onnxalgebra.__version__

extensions = ["myst_nb", "sphinx.ext.autodoc", "sphinx.ext.doctest", "sphinx.ext.napoleon"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "coverage.md"]  # coverage.md: included by converters.md
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "undoc-members": False}

nb_execution_mode = "force"  # the notebooks are committed without outputs: run them for the site
nb_execution_timeout = 300
nb_execution_raise_on_error = True

html_theme = "alabaster"
html_title = f"onnxalgebra {release}"


def _readme_section(title: str) -> str:
    """A section of the README (from its heading to the next one of the same level), without the heading."""
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", text, flags=re.S | re.M)
    if match is None:
        raise RuntimeError(f"the README has no section {title!r}")
    return match.group(1).strip() + "\n"


def _generate() -> None:
    """Pages made from the single sources: the README's tables and the notebooks."""
    generated = HERE / "_generated"
    generated.mkdir(exist_ok=True)
    coverage = HERE / "coverage.md"  # the table issue 13 generates from scikit-learn itself, once it exists
    estimators = coverage.read_text() if coverage.exists() else _readme_section("Supported estimators")
    (generated / "estimators.md").write_text(estimators)
    (generated / "benchmarks.md").write_text(_readme_section("Benchmarks"))
    (generated / "numpy.md").write_text(_readme_section("Numpy in, ONNX out"))
    (generated / "opsets.md").write_text(_readme_section("Models that load where you deploy"))
    notebooks = HERE / "notebooks"
    notebooks.mkdir(exist_ok=True)
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        shutil.copyfile(path, notebooks / path.name)


_generate()

# Signatures mention the builtin ``type`` (``cls: type``), and several classes have an attribute named ``type``:
# Sphinx finds "more than one target" for those references, which is not a broken link.
suppress_warnings = ["ref.python"]

# Docstring examples run in their module's namespace under pytest; here every example gets the public names
# and the helpers the documented docstrings use.
doctest_global_setup = """
import numpy as np
import onnx
import onnxalgebra
from onnxalgebra import *
from onnxalgebra.registry._convert import find_converter
from onnxalgebra._optional import require
from onnxalgebra._types import elem_type_of, make_type
"""
