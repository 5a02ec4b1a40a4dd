"""How a picture reaches x264: converted once, through one RGBA frame the encoder keeps."""

from __future__ import annotations

from types import SimpleNamespace

import av
import numpy as np
import pytest

from scenes.encoding import _to_yuv


def _picture(height: int, width: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    pixels = np.zeros((height, width, 4), np.uint8)
    pixels[..., 3] = 255
    pixels[height // 8 : height // 2, width // 8 : width // 2, :3] = rng.integers(
        0, 256, (height // 2 - height // 8, width // 2 - width // 8, 3)
    )
    pixels[height // 2 :, width // 2 :, :3] = (252, 98, 85)  # a flat block, as manim draws
    return pixels


def _planes(frame) -> list[bytes]:
    """The frame's picture, plane by plane, without the rows' alignment padding."""
    rows = []
    for k, plane in enumerate(frame.planes):
        lines = np.frombuffer(bytes(plane), np.uint8).reshape(plane.height, plane.line_size)
        rows.append(lines[:, : plane.width if k else frame.width].tobytes())
    return rows


@pytest.mark.parametrize("shape", [(1080, 1920), (480, 854)])  # rows unpadded, then padded
def test_each_picture_is_converted_as_a_frame_of_its_own_would_be(shape):
    """Three pictures in turn through one encoder's kept frame: each converted exactly as
    PyAV converts a frame made for it alone (the conversion manim's encoder did), and a
    converted frame keeps its pixels when the next picture comes."""
    encoder = SimpleNamespace(_stream=SimpleNamespace(pix_fmt="yuv420p"))
    pictures = [_picture(*shape, seed) for seed in range(3)]
    made = [_to_yuv(encoder, p) for p in pictures]
    for picture, frame in zip(pictures, made, strict=True):
        alone = av.VideoFrame.from_ndarray(picture, format="rgba")
        expected = alone.reformat(format="yuv420p", threads=1)
        assert (frame.width, frame.height, frame.format.name) == (shape[1], shape[0], "yuv420p")
        assert _planes(frame) == _planes(expected)
    assert _planes(made[0]) != _planes(made[1])
