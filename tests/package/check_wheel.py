"""What the wheel holds (``make test-package``): our packages only, py.typed, the LICENSE and the diagrams' static files
(vendored viz.js and its licences), no tests.

``python tests/package/check_wheel.py dist/onnxalgebra-*.whl``; exits 1 naming what is wrong.
"""

from __future__ import annotations

import sys
import zipfile

ALLOWED_TOP = {"onnxalgebra", "onnxalgebra_converters"}
FORBIDDEN = ("tests/", "notebooks/", "benchmarks/", "docs/", "converters/")


def problems(path: str) -> list[str]:
    names = zipfile.ZipFile(path).namelist()
    found = []
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
    if tops != ALLOWED_TOP:
        found.append(f"top-level names {sorted(tops)}, expected {sorted(ALLOWED_TOP)}")
    for prefix in FORBIDDEN:
        if any(n.startswith(prefix) for n in names):
            found.append(f"holds {prefix}")
    if "onnxalgebra/py.typed" not in names:
        found.append("no onnxalgebra/py.typed")
    if "onnxalgebra/__init__.pyi" not in names:
        found.append("no onnxalgebra/__init__.pyi (the operator classes' typed stubs)")
    if not any(n.endswith(".dist-info/licenses/LICENSE") or n.endswith(".dist-info/LICENSE") for n in names):
        found.append("no LICENSE in the .dist-info")
    for module in ("onnxalgebra/_numpy/ufuncs.py", "onnxalgebra/display/_dot.py", "onnxalgebra/display/_html.py",
                   "onnxalgebra_converters/scikit_learn/trees.py"):
        if module not in names:
            found.append(f"no {module}")
    # the interactive diagrams inline these: viz.js (Graphviz in WebAssembly), its licences, our script and style
    for static in ("viz-global.js", "THIRD_PARTY.txt", "diagram.js", "diagram.css"):
        if f"onnxalgebra/display/static/{static}" not in names:
            found.append(f"no onnxalgebra/display/static/{static} (package-data in pyproject.toml)")
    return found


if __name__ == "__main__":
    wrong = [f"{path}: {p}" for path in sys.argv[1:] for p in problems(path)]
    print("\n".join(wrong) or f"{', '.join(sys.argv[1:])}: our packages, py.typed, LICENSE; no tests")
    raise SystemExit(1 if wrong else 0)
