"""What the tests of the board-staged outputs share (the lesson page, its slides, the
handout and the worksheet): the layer lesson's grids computed independently, and a browser.

The grids come from the raw arrays with scipy's correlate2d summed over channels, plus the
bias, ReLU as a comparison and max pooling as a plain loop: never from the engine, the
facts or the boards under test. A module of its own: one test module importing another
runs it twice under two names.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.signal import correlate2d

CHROMIUM = "/usr/bin/chromium"


def max_pool(plane: np.ndarray, k: int = 2) -> np.ndarray:
    """Max pooling k×k, stride k, rounding down: a plain loop."""
    rows, cols = plane.shape[0] // k, plane.shape[1] // k
    out = np.zeros((rows, cols), dtype=object)
    for i in range(rows):
        for j in range(cols):
            best = None
            for m in range(k):
                for n in range(k):
                    v = plane[i * k + m, j * k + n]
                    best = v if best is None or v > best else best
            out[i, j] = best
    return out


def expected_grids(stack) -> dict[str, np.ndarray]:
    """Every grid the layer lesson's boards may show, computed here from the raw arrays."""
    first, second = stack.layers
    x = np.array(first.input.tolist(), dtype=np.int64)
    w1 = np.array(first.weight.tolist(), dtype=np.int64)
    b1 = np.array(first.bias.tolist(), dtype=np.int64)
    w2 = np.array(second.weight.tolist(), dtype=np.int64)
    b2 = np.array(second.bias.tolist(), dtype=np.int64)
    out: dict[str, np.ndarray] = {f"input.{c}": x[c] for c in range(len(x))}
    pooled = []
    for o in range(len(w1)):
        sums = sum(correlate2d(x[c], w1[o, c], mode="valid") for c in range(len(x)))
        out[f"w1.{o}.{0}"] = w1[o, 0]
        out[f"sum1.{o}"] = sums
        out[f"pre1.{o}"] = sums + b1[o]
        out[f"act1.{o}"] = np.where(sums + b1[o] > 0, sums + b1[o], 0)
        out[f"pool1.{o}"] = max_pool(out[f"act1.{o}"])
        pooled.append(out[f"pool1.{o}"].astype(np.int64))
    parts = [correlate2d(pooled[c], w2[0, c], mode="valid") for c in range(len(pooled))]
    for c, part in enumerate(parts):
        out[f"w2.0.{c}"] = w2[0, c]
        out[f"part2.0.{c}"] = part
    pre = sum(parts) + b2[0]
    out["pre2.0"] = pre
    out["act2.0"] = np.where(pre > 0, pre, 0)
    return out


def launch_browser():
    """Chromium, headless, for a module's ``browser`` fixture
    (``browser = pytest.fixture(scope="module")(launch_browser)``)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is installed by scripts/bootstrap.sh")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless"])
        yield b
        b.close()


def open_page(browser, tmp_path, html: str, width: int, height: int):
    path = tmp_path / "page.html"
    path.write_text(html, encoding="utf-8")
    page = browser.new_page(viewport={"width": width, "height": height})
    asked: list[str] = []
    page.route("**/*", lambda route: route.continue_() if route.request.url == path.as_uri()
               else (asked.append(route.request.url), route.abort()))  # fmt: skip
    page.goto(path.as_uri())
    return page, asked


def tables(page) -> dict[str, dict]:
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('table.cells')].map(t => [
            t.dataset.key,
            {label: document.getElementById(t.getAttribute('aria-labelledby')).textContent,
                            rows: [...t.querySelectorAll('tr')].map(r =>
                                [...r.querySelectorAll('td')].map(d => d.textContent))}]))"""
    )
