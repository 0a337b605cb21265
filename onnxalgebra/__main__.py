"""Command line.

``onnxalgebra show model.onnx -o model.svg``: draw any ONNX file (``-o model.html``: an interactive page drawn by the
browser, no Graphviz needed; ``--dot`` prints DOT; ``--info`` prints
its producer, IR version, opsets and the oldest onnxruntime release that loads it).
``onnxalgebra demo [--output DIR]``: the main job.
``onnxalgebra convert model.skops -o model.onnx [--n-features N | --sample rows.csv] [--dtype float64]``: convert a
saved estimator (``.pkl``/``.joblib`` only with ``--trust-pickle``), check it against the estimator, write it
(exit 0 done, 1 verification failed, 2 bad input).
``onnxalgebra translate model.onnx [-o out.py] [--weights inline|path]``: print (or write) Python source, written with
the algebra, that rebuilds an equivalent model (exit 2 on bad input).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def _demo(output: Path) -> int:
    from .cli._demo import run_demo

    started = time.perf_counter()
    run_demo(output, say=lambda line: print(line, flush=True))
    print(f"done in {time.perf_counter() - started:.0f} s; everything is in {output.resolve()}")
    return 0


def _load(path: Path) -> object:
    """Load an ONNX file, or raise ValueError with a message for a human."""
    import onnx
    from google.protobuf.message import DecodeError

    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    data = path.read_bytes()
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except (DecodeError, RuntimeError, ValueError) as exc:
        raise ValueError(f"{path}: not a valid ONNX model (protobuf could not decode it: {exc})") from None
    if not model.HasField("graph") or not model.graph.node:
        raise ValueError(f"{path}: not a valid ONNX model (it has no graph; is the file truncated or of another kind?)")
    return model


def _show(path: Path, output: Path | None, dot: bool, collapse: int | None, info: bool = False) -> int:
    from .display._render import RenderError, show

    try:
        model = _load(path)
    except ValueError as exc:
        print(f"onnxalgebra show: {exc}", file=sys.stderr)
        return 2
    if info:
        from .compiler._runtimes import describe_versions

        print(describe_versions(model))
        if output is None and not dot:
            return 0
    diagram = show(model, collapse=collapse)
    if dot or output is None:
        print(diagram.source, end="")
    if output is not None:
        try:
            diagram.render(output)
        except RenderError as exc:
            print(f"onnxalgebra show: {exc}", file=sys.stderr)
            return 2
        print(f"wrote {output}", file=sys.stderr)
    return 0


def _translate(path: Path, output: Path | None, weights: str | None) -> int:
    from ._translate import TranslateError, translate

    try:
        _load(path)
        source = translate(path, weights=weights)
    except (ValueError, TranslateError) as exc:
        print(f"onnxalgebra translate: {exc}", file=sys.stderr)
        return 2
    if output is None:
        print(source, end="")
    else:
        output.write_text(source, encoding="utf-8")
        print(f"wrote {output}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``onnxalgebra`` command."""
    parser = argparse.ArgumentParser(prog="onnxalgebra", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="build, compile, check and time the talk's example")
    demo.add_argument("--output", "-o", type=Path, default=Path("demo-output"), help="folder for the models")
    show = sub.add_parser("show", help="draw an ONNX file as a diagram")
    show.add_argument("model", type=Path, help="the .onnx file")
    show.add_argument("-o", "--output", type=Path,
                      help="write the diagram here (.svg, .png, .pdf, .dot; or .html: an interactive page, no Graphviz needed)")
    show.add_argument("--dot", action="store_true", help="print the DOT source")
    show.add_argument("--info", action="store_true",
                      help="print the producer, IR version, opsets and the oldest onnxruntime that loads it")
    show.add_argument("--collapse", type=int, default=None,
                      help="draw linear chains of at least N nodes as one box (0: never; default: automatic)")
    from .cli._cli_convert import add_arguments as add_convert_arguments

    convert = sub.add_parser("convert", help="convert a saved scikit-learn model (.skops, .pkl, .joblib) to a checked ONNX file")
    add_convert_arguments(convert)
    translate = sub.add_parser("translate", help="print Python source (written with the algebra) that rebuilds a model")
    translate.add_argument("model", type=Path, help="the .onnx file")
    translate.add_argument("-o", "--output", type=Path, help="write the source here instead of printing it")
    translate.add_argument("--weights", choices=["inline", "path"], default=None,
                           help="large tensors as base64 in the source (inline) or read from the model file (path, the default)")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return _demo(args.output)
    if args.command == "show":
        return _show(args.model, args.output, args.dot, args.collapse, args.info)
    if args.command == "translate":
        return _translate(args.model, args.output, args.weights)
    if args.command == "convert":
        from .cli._cli_convert import run as run_convert

        return run_convert(args)
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
