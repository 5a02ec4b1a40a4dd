"""Every row of the README's table of rejected inputs: one line, exit 2, nothing written."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import numpy as np
import pytest
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


def make_files(folder: Path) -> dict[str, str]:
    """The files the table's examples name, created fresh for each run."""
    files = {
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
    }
    paths = {}
    for name, make in files.items():
        make(folder / name)
        paths[name] = str(folder / name)
    return paths


ROWS = table_rows()


def test_the_table_is_there_and_long():
    assert len(ROWS) >= 25


@pytest.mark.parametrize("what,example,message", ROWS, ids=[r[0] for r in ROWS])
def test_rejected_input(what, example, message, tmp_path, capsys, monkeypatch):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    paths = make_files(inputs)
    out_dir = tmp_path / "out"
    monkeypatch.chdir(tmp_path)
    argv = [re.sub(r"\{([^}]+)\}", lambda m: paths[m.group(1)], a) for a in shlex.split(example)]
    if argv[0] == "render":
        argv += ["--output-dir", str(out_dir)]
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2, (what, out, err)
    assert out == ""
    assert err.startswith("explainer: error: ") and err.count("\n") == 1, err
    assert message in err, err
    assert "Traceback" not in err
    assert not out_dir.exists() or not any(out_dir.iterdir())
