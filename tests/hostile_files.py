"""Builders of hostile files for the tests: headers that lie, chunks that bomb.

Written from the file formats' specifications (PNG: signature, then length, type, data,
CRC-32 per chunk; .npy: magic, version, header length, a dict literal padded to 64
bytes), not from the code under test.
"""

from __future__ import annotations

import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_chunk(kind: bytes, data: bytes, crc: int | None = None) -> bytes:
    """One PNG chunk; ``crc`` overrides the correct CRC-32 (to make a damaged chunk)."""
    check = zlib.crc32(kind + data) if crc is None else crc
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", check & 0xFFFFFFFF)


def png_ihdr(width: int, height: int, bit_depth: int = 8, colour_type: int = 0) -> bytes:
    fields = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return png_chunk(b"IHDR", fields)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG claiming width × height 8-bit gray pixels, with a tiny IDAT: decoding it
    would allocate for the claimed size."""
    idat = png_chunk(b"IDAT", zlib.compress(b"\0" * 1000))
    return PNG_SIGNATURE + png_ihdr(width, height) + idat + png_chunk(b"IEND", b"")


def png_bomb(width: int, height: int) -> bytes:
    """A real decompression bomb: width × height zero pixels that compress to almost
    nothing (20000 × 20000 inflates to 400 MB from under 400 KB)."""
    packer = zlib.compressobj(9)
    row = b"\0" * (width + 1)  # filter byte 0, then the pixels
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    end = png_chunk(b"IEND", b"")
    return PNG_SIGNATURE + png_ihdr(width, height) + png_chunk(b"IDAT", data) + end


def npy_bytes(header: str, data: bytes = b"", version: tuple[int, int] = (1, 0)) -> bytes:
    """A .npy file with the given header text (padded as numpy pads it) and data."""
    size_format = "<H" if version == (1, 0) else "<I"
    prefix = 8 + struct.calcsize(size_format)
    header += " " * (63 - (prefix + len(header)) % 64) + "\n"
    encoded = header.encode("latin1")
    return b"\x93NUMPY" + bytes(version) + struct.pack(size_format, len(encoded)) + encoded + data
