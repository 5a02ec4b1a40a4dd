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
    PyAV converts a frame made for it alone (the conversion manim's encoder did). The
    frame is read before the next picture comes, as the encoder does."""
    encoder = SimpleNamespace(_stream=SimpleNamespace(pix_fmt="yuv420p"))
    pictures = [_picture(*shape, seed) for seed in range(3)]
    made = []
    for picture in pictures:
        frame = _to_yuv(encoder, picture)
        alone = av.VideoFrame.from_ndarray(picture, format="rgba")
        expected = alone.reformat(format="yuv420p", threads=1)
        assert (frame.width, frame.height, frame.format.name) == (shape[1], shape[0], "yuv420p")
        assert _planes(frame) == _planes(expected)
        made.append(_planes(frame))
    assert made[0] != made[1]


@pytest.mark.parametrize("shape", [(1080, 1920), (480, 854), (240, 427)])
def test_a_picture_changed_in_a_rectangle_converts_as_a_whole_one(shape):
    """Pictures that differ from the last one in a rectangle (one pixel, a thin line, a
    block, a corner, the edges, the whole picture, nothing), as an animation's frames do:
    the encoder's frame after each equals PyAV's conversion of the whole new picture.
    Random colours: any sample left stale or converted from other pixels shows."""
    rng = np.random.default_rng(7)
    height, width = shape
    encoder = SimpleNamespace(_stream=SimpleNamespace(pix_fmt="yuv420p"))
    picture = rng.integers(0, 256, (height, width, 4), dtype=np.uint8)
    picture[..., 3] = 255
    boxes = [
        (height // 2, height // 2 + 1, width // 3, width // 3 + 1),  # one pixel
        (1, 2, 0, width),  # one odd row, whole width
        (height // 3, height // 2 + 1, width // 5, width // 5 + 3),  # odd edges
        (0, 3, 0, 5),  # the corner
        (height - 3, height, width - 1, width),  # the far corner
        (0, height, 0, width),  # everything
        (0, 0, 0, 0),  # nothing
    ]
    for _ in range(25):
        top, left = int(rng.integers(0, height)), int(rng.integers(0, width))
        bottom = int(rng.integers(top + 1, min(height, top + height // 3) + 1))
        right = int(rng.integers(left + 1, min(width, left + width // 3) + 1))
        boxes.append((top, bottom, left, right))
    _to_yuv(encoder, picture)
    for top, bottom, left, right in boxes:
        picture = picture.copy()
        picture[top:bottom, left:right, :3] = rng.integers(
            0, 256, (bottom - top, right - left, 3), dtype=np.uint8
        )
        frame = _to_yuv(encoder, picture)
        alone = av.VideoFrame.from_ndarray(picture, format="rgba")
        assert _planes(frame) == _planes(alone.reformat(format="yuv420p", threads=1)), (
            top,
            bottom,
            left,
            right,
        )


def test_a_size_or_format_change_starts_over():
    """A picture of another size, or an encoder of another pixel format, is converted
    whole (never pasted into a frame of another shape)."""
    encoder = SimpleNamespace(_stream=SimpleNamespace(pix_fmt="yuv420p"))
    for shape, pix_fmt in [
        ((480, 854), "yuv420p"),
        ((240, 426), "yuv420p"),
        ((240, 426), "yuv444p"),
    ]:
        encoder._stream.pix_fmt = pix_fmt
        picture = _picture(*shape, seed=3)
        frame = _to_yuv(encoder, picture)
        alone = av.VideoFrame.from_ndarray(picture, format="rgba")
        assert _planes(frame) == _planes(alone.reformat(format=pix_fmt, threads=1))


@pytest.mark.parametrize("rate, channels", [(22050, 1), (16000, 1), (44100, 2)])
def test_the_joined_sound_keeps_its_rate_channels_and_voice(tmp_path, rate, channels):
    """The sound track is coded at the voice's own rate and channels (not resampled to
    48 kHz stereo), starts where the voice starts and follows it closely."""
    import wave

    from scenes.joining import encode_sound

    seconds = 3
    t = np.arange(seconds * rate) / rate
    # A spoken-like signal: two tones gliding and swelling, different in each channel.
    tones = [
        0.3 * np.sin(2 * np.pi * (220 + 60 * c + 40 * t) * t) * (0.6 + 0.4 * np.sin(3 * t))
        for c in range(channels)
    ]
    samples = np.round(np.stack(tones, axis=1) * 32767).astype(np.int16)
    wav = tmp_path / "sound.wav"
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    target = tmp_path / "sound.m4a"
    encode_sound(wav, target)
    with av.open(str(target)) as container:
        stream = container.streams.audio[0]
        assert (stream.rate, stream.codec_context.channels) == (rate, channels)
        decoded = np.concatenate(
            [f.to_ndarray().reshape(channels, -1) for f in container.decode(stream)], axis=1
        ).T
    # AAC fills its last packet up to 1024 samples; the start is where the voice's is.
    assert len(samples) <= len(decoded) < len(samples) + 1024
    got = decoded[: len(samples)] * 32768
    noise = ((got - samples) ** 2).sum() / (samples.astype(float) ** 2).sum()
    assert 10 * np.log10(1 / noise) > 20  # dB; a shift of one sample gives far less
