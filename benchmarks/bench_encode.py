"""Choose the x264 preset by measurement: time, size and picture quality of each preset on
the lecture's own frames, as ratios against the preset manim uses by default ("medium").

It decodes a stretch of a rendered lecture once, then encodes those same frames with each
preset (crf 23, yuv420p, two threads, as the render does), interleaving the presets over
several rounds and keeping the median time. Quality is the SSIM of every 20th decoded
frame against the source frame (luma, 8×8 windows), so a preset is only as good as what a
viewer would see.

    .venv/bin/python benchmarks/bench_encode.py [VIDEO.mp4] [SECONDS]

Without a video it renders the lecture at 1080p60 first (a few minutes).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

from scenes.encoding import ENCODER_OPTIONS

PRESETS = ("medium", "fast", "faster", "veryfast", "superfast", "ultrafast")
ROUNDS = 3


def source_frames(video: Path, seconds: float) -> tuple[list[np.ndarray], tuple]:
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        rate = stream.average_rate
        frames = []
        for frame in container.decode(stream):
            frames.append(frame.to_ndarray(format="rgb24"))
            if len(frames) >= seconds * rate:
                break
        return frames, (stream.codec_context.width, stream.codec_context.height, rate)


def encode(frames: list[np.ndarray], shape, preset: str, target: Path) -> float:
    width, height, rate = shape
    with av.open(str(target), mode="w") as out:
        stream = out.add_stream(
            "libx264", rate=rate, options={"crf": "23", **ENCODER_OPTIONS, "preset": preset}
        )
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        start = time.perf_counter()
        for array in frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(array, format="rgb24")))
        out.mux(stream.encode(None))
        return time.perf_counter() - start


def luma(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., :3].astype(np.float64) @ np.array([0.299, 0.587, 0.114])


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM over 8×8 windows (no Gaussian weighting), on luma."""
    x, y = luma(a), luma(b)
    h, w = (x.shape[0] // 8) * 8, (x.shape[1] // 8) * 8
    x = x[:h, :w].reshape(h // 8, 8, w // 8, 8)
    y = y[:h, :w].reshape(h // 8, 8, w // 8, 8)
    mx, my = x.mean(axis=(1, 3)), y.mean(axis=(1, 3))
    vx, vy = x.var(axis=(1, 3)), y.var(axis=(1, 3))
    cov = ((x - mx[:, None, :, None]) * (y - my[:, None, :, None])).mean(axis=(1, 3))
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    s = ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
    return float(s.mean())


def quality(frames: list[np.ndarray], encoded: Path) -> float:
    with av.open(str(encoded)) as container:
        decoded = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    return statistics.mean(ssim(frames[k], decoded[k]) for k in range(0, len(frames), 20))


def main(argv: list[str]) -> None:
    seconds = float(argv[1]) if len(argv) > 1 else 30.0
    with tempfile.TemporaryDirectory() as tmp:
        if argv:
            video = Path(argv[0])
        else:
            from explainer import lecture_problem
            from scenes.render import render_lecture

            video = render_lecture(lecture_problem(), None, "high", Path(tmp), "bench").video
        frames, shape = source_frames(video, seconds)
        times: dict[str, list[float]] = {p: [] for p in PRESETS}
        for _ in range(ROUNDS):
            for preset in PRESETS:
                times[preset].append(encode(frames, shape, preset, Path(tmp) / f"{preset}.mp4"))
        base_time = statistics.median(times["medium"])
        base_size = (Path(tmp) / "medium.mp4").stat().st_size
        print(f"{len(frames)} frames of {video.name}, {shape[0]}×{shape[1]}, medians of {ROUNDS}")
        print(f"{'preset':>10} {'time':>8} {'×medium':>8} {'size ×medium':>13} {'SSIM':>7}")
        for preset in PRESETS:
            path = Path(tmp) / f"{preset}.mp4"
            t = statistics.median(times[preset])
            print(
                f"{preset:>10} {t:>7.2f}s {t / base_time:>7.2f}× "
                f"{path.stat().st_size / base_size:>12.2f}× {quality(frames, path):>7.4f}"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
