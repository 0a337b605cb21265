"""Time to draw large models: DOT generation and Graphviz SVG rendering.

A chain of N Add/Mul nodes is drawn with the default settings (long linear
chains collapsed into one box above 300 operators) and, for sizes where it is
affordable, with ``collapse=0`` (every node drawn). Run:
``python benchmarks/bench_render.py [--sizes 500 5000]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from onnxalgebra import Var, show


def chain(n: int):
    x = Var("X", np.float32, [None, 4])
    for i in range(n):
        x = x + np.full(4, i, np.float32) if i % 2 else x * np.full(4, i, np.float32)
    return x.to_onnx()


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="*", default=[500, 5000])
    parser.add_argument("--full-limit", type=int, default=1000, help="largest size also drawn with collapse=0")
    args = parser.parse_args()
    print(f"{'nodes':>7} {'mode':>10} {'DOT s':>8} {'SVG s':>8} {'boxes':>6}")
    for n in args.sizes:
        model = chain(n)
        modes = [("default", None)] + ([("collapse=0", 0)] if n <= args.full_limit else [])
        for label, collapse in modes:
            t_dot, diagram = timed(lambda c=collapse, m=model: show(m, collapse=c))
            t_svg, _ = timed(lambda d=diagram: d.pipe("svg"))
            print(f"{n:>7} {label:>10} {t_dot:>8.2f} {t_svg:>8.2f} {diagram.source.count('shape=box'):>6}")


if __name__ == "__main__":
    main()
