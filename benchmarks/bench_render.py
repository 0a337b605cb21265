"""Time to draw large models: DOT generation, Graphviz SVG rendering, and the interactive page in a browser.

A chain of N Add/Mul nodes (each with its constant) is drawn with the default settings (long linear chains
collapsed into one box above 300 operators) and, for sizes where it is affordable, with ``collapse=0`` (every
node drawn). Run: ``python benchmarks/bench_render.py [--sizes 500 5000] [--html-sizes 1000 10000]``.

The second table is the interactive page (``Diagram.save_html``): the time to write it in Python, and, in headless
Chromium driven through chromedriver (WebDriver over HTTP, standard library only), the page's first drawing
(``performance.now()`` at the end of its first render, which the page records on its root element), the Graphviz
layout alone, and the wall time from navigation to the drawn page; then the wall time of one whole
``chromium --headless --dump-dom`` run (process start included) on the largest default page. Layout options for
huge drawings are compared on the fully expanded chain: dot's defaults (edge labels), no edge labels, constants
folded into the nodes reading them too, and ``LARGE_GRAPH_ATTRIBUTES`` too: the page's "large graph" settings,
which it applies by itself above ``LARGE_GRAPH_NODES`` drawn nodes.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

from onnxalgebra import Var, show
from onnxalgebra.display._html import LARGE_GRAPH_ATTRIBUTES, LARGE_GRAPH_NODES, standalone_page


def _with_source(diagram):
    """``diagram`` with its DOT text made (``Diagram.source`` is made when first read)."""
    assert diagram.source
    return diagram

def chain(n: int):
    x = Var("X", np.float32, [None, 4])
    for i in range(n):
        x = x + np.full(4, i, np.float32) if i % 2 else x * np.full(4, i, np.float32)
    return x.to_onnx()


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


class Browser:
    """Headless Chromium through chromedriver's WebDriver HTTP API (no Python dependency)."""

    FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1200,900")

    def __init__(self, chromium: str, driver: str):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.process = subprocess.Popen([driver, f"--port={self.port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.profile = tempfile.TemporaryDirectory()
        for _ in range(100):
            try:
                if self.call("GET", "/status")["value"]["ready"]:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        options = {"binary": chromium, "args": [*self.FLAGS, f"--user-data-dir={self.profile.name}"]}
        started = self.call("POST", "/session", {"capabilities": {"alwaysMatch": {"goog:chromeOptions": options}}})
        self.session = f"/session/{started['value']['sessionId']}"

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=600) as response:
            return json.loads(response.read())

    def script(self, source: str):
        return self.call("POST", f"{self.session}/execute/sync", {"script": source, "args": []})["value"]

    def draw(self, path: Path, timeout: float = 300) -> dict:
        """Open the page, wait until it has drawn; its timings and the wall time."""
        start = time.perf_counter()
        self.call("POST", f"{self.session}/url", {"url": path.resolve().as_uri()})
        while time.perf_counter() - start < timeout:
            state = self.script("var r = document.getElementById('diagram'); return r ? Object.assign({}, r.dataset) : {};")
            if state.get("state") in ("ready", "error"):
                return {**state, "wall": time.perf_counter() - start}
            time.sleep(0.05)
        return {"state": "timeout", "wall": time.perf_counter() - start}

    def close(self) -> None:
        try:
            self.call("DELETE", self.session)
        finally:
            self.process.terminate()
            self.process.wait(10)
            self.profile.cleanup()


def svg_table(sizes: list[int], full_limit: int) -> None:
    print(f"{'nodes':>7} {'mode':>10} {'DOT s':>8} {'SVG s':>8} {'boxes':>6}")
    for n in sizes:
        model = chain(n)
        modes = [("default", None)] + ([("collapse=0", 0)] if n <= full_limit else [])
        for label, collapse in modes:
            t_dot, diagram = timed(lambda c=collapse, m=model: _with_source(show(m, collapse=c)))
            t_svg, _ = timed(lambda d=diagram: d.pipe("svg"))
            print(f"{n:>7} {label:>10} {t_dot:>8.2f} {t_svg:>8.2f} {diagram.source.count('shape=box'):>6}")


def html_table(sizes: list[int], full_limit: int, defaults_limit: int, folder: Path) -> None:
    chromium = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
    driver = shutil.which("chromedriver")
    print(f"\ninteractive page (save_html) and its first drawing in headless Chromium; large-graph settings: "
          f"no edge labels, constants folded, {LARGE_GRAPH_ATTRIBUTES} (above {LARGE_GRAPH_NODES:,} drawn nodes)")
    print(f"{'operators':>9} {'view':>30} {'drawn':>6} {'save_html s':>11} {'MB':>5} {'first draw s':>12} "
          f"{'layout s':>8} {'wall s':>7}")
    browser = Browser(chromium, driver) if chromium and driver else None
    try:
        for n in sizes:
            diagram = show(chain(n))
            cases = [("default (chains collapsed)", {})]
            if n <= defaults_limit:  # edge labels are dot nodes of their own: 31 s for 2,500, out of memory for 5,000
                cases += [("expanded, dot defaults", {"collapse": 0, "large_nodes": 0})]
            if n <= full_limit:
                cases += [("expanded, no edge labels", {"collapse": 0, "large_nodes": 1, "large_attributes": "",
                                                        "large_fold": False}),
                          ("expanded, + constants folded", {"collapse": 0, "large_nodes": 1, "large_attributes": ""}),
                          ("expanded, + splines=false", {"collapse": 0, "large_nodes": 1})]
            for number, (label, options) in enumerate(cases):
                path = folder / f"chain{n}-{number}.html"
                if options:
                    t_html, page = timed(lambda o=options, d=diagram: standalone_page(d.view, **o))
                    path.write_text(page, encoding="utf-8")
                else:
                    t_html, _ = timed(lambda p=path, d=diagram: d.save_html(p))
                size = path.stat().st_size / 1e6
                if browser is None:
                    print(f"{n:>9} {label:>30} {'?':>6} {t_html:>11.2f} {size:>5.1f}   (no chromium/chromedriver)")
                    continue
                r = browser.draw(path)
                first = float(r.get("firstRenderMs", "nan")) / 1e3
                layout = float(r.get("layoutMs", "nan")) / 1e3
                print(f"{n:>9} {label:>30} {r.get('nodes', '?'):>6} {t_html:>11.2f} {size:>5.1f} {first:>12.2f} "
                      f"{layout:>8.2f} {r['wall']:>7.2f}  {r.get('state')}")
    finally:
        if browser is not None:
            browser.close()
    if chromium and sizes:  # the whole run as a user's script would do it: process start to the drawn DOM
        with tempfile.TemporaryDirectory() as profile:
            path = folder / "largest.html"
            show(chain(max(sizes))).save_html(path)
            t_run, result = timed(lambda: subprocess.run(
                [chromium, *Browser.FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=15000", "--dump-dom",
                 path.resolve().as_uri()], capture_output=True, text=True, timeout=600))
        drawn = 'data-state="ready"' in result.stdout
        print(f"chromium --headless --dump-dom of the {max(sizes):,}-operator page (default view), process start to "
              f"DOM: {t_run:.2f} s wall ({'drawn' if drawn else 'NOT drawn'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="*", default=[500, 5000])
    parser.add_argument("--full-limit", type=int, default=1000, help="largest size also drawn with collapse=0")
    parser.add_argument("--html-sizes", type=int, nargs="*", default=[1000, 10000], help="sizes of the interactive page")
    parser.add_argument("--html-full-limit", type=int, default=10000,
                        help="largest size whose interactive page is also drawn expanded (the layout options)")
    parser.add_argument("--html-defaults-limit", type=int, default=1000,
                        help="largest size also laid out expanded with dot's defaults (edge labels; slow)")
    args = parser.parse_args()
    svg_table(args.sizes, args.full_limit)
    with tempfile.TemporaryDirectory() as folder:
        html_table(args.html_sizes, args.html_full_limit, args.html_defaults_limit, Path(folder))


if __name__ == "__main__":
    main()
