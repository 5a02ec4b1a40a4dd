"""Every row of the README's table of rejected inputs: one line, exit 2, nothing written."""

from __future__ import annotations

import os
import re
import shlex
import stat
from pathlib import Path

import numpy as np
import pytest
from hostile_files import npy_bytes, png_header_only
from PIL import Image

from explainer.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"


def table_rows() -> list[tuple[str, str, str]]:
    text = README.read_text(encoding="utf-8")
    block = text.split("<!-- rejected-inputs:start -->")[1].split("<!-- rejected-inputs:end -->")[0]
    rows = []
    for line in block.strip().splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        what, example, message = cells[0], cells[1].strip("`"), cells[2]
        rows.append((what, example, message))
    return rows


# The files the table's examples name; only those an example names are made, fresh.
FILES = {
    "cube.npy": lambda p: np.save(p, np.zeros((2, 2, 2))),
    "empty.npy": lambda p: np.save(p, np.zeros((0, 3))),
    "words.csv": lambda p: p.write_text("1, two\n3, 4\n"),
    "nan.csv": lambda p: p.write_text("nan 1\n1 1\n"),
    "inf.npy": lambda p: np.save(p, np.array([[1.0, np.inf]])),
    "ragged.csv": lambda p: p.write_text("1 2 3\n4 5\n"),
    "zero.csv": lambda p: p.write_text("1 1/0\n"),
    "blob.bin": lambda p: p.write_bytes(b"\x00\x89binary\x00"),
    "pickle.npy": lambda p: np.save(p, np.array([{"a": 1}], dtype=object), allow_pickle=True),
    "colour.png": lambda p: Image.new("RGB", (4, 4)).save(p),
    "huge.csv": lambda p: p.write_bytes(b"1 " * (8 * 1024 * 1024 + 10)),
    "big.npy": lambda p: np.save(p, np.ones((200, 200), dtype=np.int8)),
    "folder": lambda p: p.mkdir(),
    "pipe": lambda p: os.mkfifo(p),
    "hugeshape.npy": lambda p: p.write_bytes(
        npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000), }")
    ),
    "text.npy": lambda p: p.write_text("1 2\n3 4\n"),
    "bomb.png": lambda p: p.write_bytes(png_header_only(20000, 20000)),
    "big4096.png": lambda p: Image.new("L", (4096, 4096)).save(p),
    "lines.txt": lambda p: p.write_bytes(b"1\n" * (8 * 1024 * 1024 - 8)),
    "k1000.npy": lambda p: np.save(p, np.ones((1000, 1000), dtype=np.int8)),
    "e999.csv": lambda p: p.write_text("1 1e999\n"),
    "maxfloat.npy": lambda p: np.save(p, np.full((9, 9), 1.7e308)),
    "hugesum.npy": lambda p: np.save(p, np.array([[1.7e308, 1.7e308]])),
    "toolong": None,  # a name only: one path component of 300 bytes
    "escape-name": lambda p: p.write_text("x\n"),
    "arabic.csv": lambda p: p.write_text("\u0661 \u0662\n"),
    "thousands.csv": lambda p: p.write_text("1,000 2\n"),
    "nantime.mp4": lambda p: p.with_suffix(".script.json").write_text(
        '{"sections": [{"beats": [{"key": "a", "caption": "c", "start": NaN, "end": 1}]}]}'
    ),
    "deeptime.mp4": lambda p: p.with_suffix(".script.json").write_text("[" * 100_000),
    "fifotime.mp4": lambda p: os.mkfifo(p.with_suffix(".script.json")),
    "zerotime.mp4": lambda p: p.with_suffix(".script.json").symlink_to("/dev/zero"),
    "primes.csv": lambda p: p.write_text(
        "\n".join(" ".join(f"1/{10**60 + 9 * r + c}" for c in range(9)) for r in range(9))
    ),
    "k100.csv": lambda p: p.write_text(
        "\n".join(" ".join(f"1/{10**60 + 100 * r + c}" for c in range(100)) for r in range(100))
    ),
    "bank2.npy": lambda p: np.save(p, np.ones((2, 3, 3), dtype=np.int64)),
    "bank5d.npy": lambda p: np.save(p, np.ones((1, 1, 1, 2, 2), dtype=np.int64)),
}
NAMES = {"toolong": "a" * 300, "escape-name": "bad\nname\x1b[31m.csv"}


def make_files(folder: Path, names: set[str]) -> dict[str, str]:
    """The files the example names, created in ``folder``; their paths by name."""
    paths = {}
    for name in names:
        path = folder / NAMES.get(name, name)
        make = FILES[name]
        if make is not None:
            make(path)
        paths[name] = str(path)
    return paths


ROWS = table_rows()


def test_the_table_is_there_and_long():
    assert len(ROWS) >= 25


@pytest.mark.parametrize("what,example,message", ROWS, ids=[r[0] for r in ROWS])
def test_rejected_input(what, example, message, tmp_path, capsys, monkeypatch):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    paths = make_files(inputs, set(re.findall(r"\{([^}]+)\}", example)))
    out_dir = tmp_path / "out"
    monkeypatch.chdir(tmp_path)
    argv = [re.sub(r"\{([^}]+)\}", lambda m: paths[m.group(1)], a) for a in shlex.split(example)]
    if argv[0] == "render" and "--output-dir" not in argv:
        argv += ["--output-dir", str(out_dir)]
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2, (what, out, err)
    assert out == ""
    assert err.startswith("explainer: error: ") and err.count("\n") == 1, err
    assert message in err, err
    assert "Traceback" not in err
    assert not out_dir.exists() or not any(out_dir.iterdir())
    for name, path in paths.items():  # nothing given was replaced (a pipe stays a pipe)
        if name == "pipe":
            assert stat.S_ISFIFO(os.stat(path).st_mode)
