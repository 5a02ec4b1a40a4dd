"""A hostile corpus through every command that reads input: never an internal error (exit
70), never a traceback, never a hang.

Each case is a file or an option value from an outside attack's classes (lying headers,
devices, odd encodings, values at float64's edge, malformed options). Every command is run
in-process under an alarm: it must end within the bound with exit 0, 1 or 2, and a failure
must be exactly one line of ours.
"""

from __future__ import annotations

import os
import signal
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from hostile_files import npy_bytes, png_bomb, png_header_only
from PIL import Image

from explainer.cli import main

SECONDS = 60  # far above any case's time; only a hang reaches it


def _png_truncated(path: Path) -> None:
    Image.new("L", (8, 8), 128).save(path)
    path.write_bytes(path.read_bytes()[:40])


def _png_bad_crc(path: Path) -> None:
    data = bytearray(png_header_only(4, 4))
    data[29] ^= 0xFF  # inside the IHDR chunk's CRC
    path.write_bytes(bytes(data))


def _png_16bit(path: Path) -> None:
    Image.fromarray(np.arange(16, dtype=np.uint16).reshape(4, 4) * 4000).save(path)


def _zip_bomb_text(path: Path) -> None:
    path.write_bytes(zlib.compress(b"1 " * 100_000))  # binary: refused as not text


FILES = {
    "empty.csv": lambda p: p.write_bytes(b""),
    "blank-lines.csv": lambda p: p.write_text("\n\n\n"),
    "spaces.csv": lambda p: p.write_text("   \t  \n"),
    "bom.csv": lambda p: p.write_bytes(b"\xef\xbb\xbf1 2\n3 4\n"),
    "utf16.csv": lambda p: p.write_text("1 2\n3 4\n", encoding="utf-16"),
    "latin1.csv": lambda p: p.write_bytes(b"1 2\xe9\n3 4\n"),
    "crlf.csv": lambda p: p.write_bytes(b"1,2\r\n3,4\r\n"),
    "long-line.csv": lambda p: p.write_text(" ".join(["1"] * 200_000) + "\n"),
    "many-columns.csv": lambda p: p.write_text(",".join(["1"] * 5000) + "\n"),
    "huge-int.csv": lambda p: p.write_text("9" * 60 + " 1\n1 1\n"),
    "tiny-float.csv": lambda p: p.write_text("1e-320 1\n1 1\n"),
    "neg-zero.csv": lambda p: p.write_text("-0 0.0\n-0.0 0\n"),
    "fraction-huge.csv": lambda p: p.write_text("1/" + "7" * 60 + " 1\n1 1\n"),
    "fraction-neg-den.csv": lambda p: p.write_text("1/-3 1\n1 1\n"),
    "hex.csv": lambda p: p.write_text("0x10 1\n1 1\n"),
    "underscore.csv": lambda p: p.write_text("1_000 1\n1 1\n"),
    "expr.csv": lambda p: p.write_text("__import__('os') 1\n1 1\n"),
    "inf-word.csv": lambda p: p.write_text("inf 1\n1 1\n"),
    "zlib.csv": _zip_bomb_text,
    "nul.csv": lambda p: p.write_bytes(b"1 2\x00\n3 4\n"),
    "max-float.csv": lambda p: p.write_text("1.7976931348623157e308 1\n1 1\n"),
    "complex.npy": lambda p: np.save(p, np.ones((3, 3), dtype=complex)),
    "strings.npy": lambda p: np.save(p, np.array([["a", "b"], ["c", "d"]])),
    "bool.npy": lambda p: np.save(p, np.eye(3, dtype=bool)),
    "uint64-max.npy": lambda p: np.save(p, np.full((2, 2), 2**64 - 1, dtype=np.uint64)),
    "float16.npy": lambda p: np.save(p, np.ones((3, 3), dtype=np.float16)),
    "longdouble.npy": lambda p: np.save(p, np.ones((3, 3), dtype=np.longdouble)),
    "fortran.npy": lambda p: np.save(p, np.asfortranarray(np.arange(9.0).reshape(3, 3))),
    "scalar.npy": lambda p: np.save(p, np.array(3.0)),
    "vector.npy": lambda p: np.save(p, np.arange(5)),
    "four-d.npy": lambda p: np.save(p, np.ones((1, 1, 3, 3))),
    "neg-shape.npy": lambda p: p.write_bytes(
        npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 3), }")
    ),
    "bad-descr.npy": lambda p: p.write_bytes(
        npy_bytes("{'descr': '<q9', 'fortran_order': False, 'shape': (2, 2), }", b"\0" * 64)
    ),
    "code-header.npy": lambda p: p.write_bytes(
        npy_bytes("__import__('os').system('false')", b"\0" * 8)
    ),
    "short-header.npy": lambda p: p.write_bytes(b"\x93NUMPY\x01\x00"),
    "v3-header.npy": lambda p: p.write_bytes(
        npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", version=(3, 0))
    ),
    "truncated.png": _png_truncated,
    "bad-crc.png": _png_bad_crc,
    "header-only.png": lambda p: p.write_bytes(png_header_only(3, 3)),
    "bomb.png": lambda p: p.write_bytes(png_bomb(30_000, 30_000)),
    "sixteen-bit.png": _png_16bit,
    "palette.png": lambda p: Image.new("P", (4, 4)).save(p),
    "rgba.png": lambda p: Image.new("RGBA", (4, 4)).save(p),
    "not-png.png": lambda p: p.write_text("1 2\n3 4\n"),
    "folder": lambda p: p.mkdir(),
    "pipe": lambda p: os.mkfifo(p),
    "link-to-zero": lambda p: p.symlink_to("/dev/zero"),
    "dangling-link": lambda p: p.symlink_to(p.parent / "nothing-here"),
    "name with spaces and 'quotes'.csv": lambda p: p.write_text("1 2\n3 4\n"),
    "naïve-ünïcode.csv": lambda p: p.write_text("1 2\n3 4\n"),
}

OPTIONS = [
    ["--stride", "99999999999999999999"],
    ["--stride", "1e3"],
    ["--stride", "٣"],
    ["--stride", ""],
    ["--stride", "1,1,1"],
    ["--padding", "99999999999999999999"],
    ["--padding", "same,1"],
    ["--padding", "1,-1"],
    ["--padding", "nan"],
    ["--padding", " "],
    ["--dilation", "0,1"],
    ["--dilation", "100000"],
    ["--padding-mode", "reflect", "--padding", "8"],
    ["--padding-mode", "circular", "--padding", "9"],
    ["--padding-mode", "mirror"],
    ["--normalize", "sum", "--kernel", "sobel-x"],
    ["--normalize", "area", "--kernel", "laplacian", "--flip"],
    ["--png-range", "nan,1"],
    ["--png-range", "0"],
    ["--png-range", "1,1"],
    ["--image", "x", "--kernel", "x"],
    ["--image", "-", "--kernel", "diagonal"],
    ["--image", "/"],
    ["--image", "/proc/self/mem"],
    ["--image", "/dev/stdin"],
]

COMMANDS = {
    "derive": ["derive", "--patch", "0,0"],
    "check": ["check"],
    "script": ["script"],
    "page": ["page", "-o", "{out}/page.html"],
    "sections": ["render", "--list-sections"],
}


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang


@pytest.fixture
def bounded():
    """Run a call under an alarm: a hang becomes a failure, not a stuck suite."""
    old = signal.signal(signal.SIGALRM, _alarm)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def _judge(capsys, argv: list[str]) -> None:
    signal.alarm(SECONDS)
    try:
        code = main(argv)
    except Hang:
        pytest.fail(f"no answer within {SECONDS} s: explainer {' '.join(argv)}")
    except SystemExit as err:  # argparse's --help or version paths would land here
        code = err.code
    finally:
        signal.alarm(0)
    out, err = capsys.readouterr()
    assert code in (0, 1, 2), (code, argv, err)
    assert "Traceback" not in err, (argv, err)
    if code != 0:
        assert err.startswith("explainer: error: ") and err.count("\n") == 1, (argv, err)


@pytest.mark.parametrize("name", sorted(FILES))
@pytest.mark.parametrize("role", ["--image", "--kernel"])
def test_a_hostile_file_in_every_command(tmp_path, capsys, bounded, name, role):
    path = tmp_path / name
    FILES[name](path)
    for command in COMMANDS.values():
        argv = [part.format(out=tmp_path) for part in command]
        _judge(capsys, [*argv, role, str(path)])


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: " ".join(o) or "empty")
def test_hostile_options_in_every_command(tmp_path, capsys, bounded, options):
    for command in COMMANDS.values():
        argv = [part.format(out=tmp_path) for part in command]
        _judge(capsys, [*argv, *options])


def test_no_half_written_page_after_a_refusal(tmp_path, capsys, bounded):
    page = tmp_path / "page.html"
    _judge(capsys, ["page", "-o", str(page), "--image", "/dev/zero"])
    assert not page.exists() and list(tmp_path.iterdir()) == []


def test_struct_sizes_are_what_the_corpus_assumes():
    # png_header_only writes IHDR at byte 8: length (4), type (4), data (13), CRC (4).
    data = png_header_only(4, 4)
    assert struct.unpack(">I", data[8:12])[0] == 13 and data[12:16] == b"IHDR"
