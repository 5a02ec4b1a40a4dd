"""Time rendering the whole lecture, against its duration and against the encoding floor.

For each quality (default: low and high) it renders the full lecture with
`explainer render`'s own code path, then measures the floor: re-encoding the very frames
of that video with the encoder settings manim uses (libx264, yuv420p, crf 23, same size
and frame rate), timing only the encoder. Ratios printed:

  render / duration   seconds of work per second of video
  render / floor      how far the whole render is from pure encoding

    .venv/bin/python benchmarks/bench_render.py [low|medium|high|4k ...]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import av

from explainer import lecture_problem
from explainer.render import QUALITIES, render_lecture, video_duration


def encode_floor(video: Path, scratch: Path) -> tuple[float, int]:
    """Seconds spent encoding the video's own frames again, and how many frames."""
    spent, frames = 0.0, 0
    with av.open(str(video)) as source, av.open(str(scratch), mode="w") as target:
        src = source.streams.video[0]
        out = target.add_stream("libx264", rate=src.average_rate, options={"crf": "23"})
        out.width, out.height, out.pix_fmt = (
            src.codec_context.width,
            src.codec_context.height,
            "yuv420p",
        )
        for frame in source.decode(src):
            rgba = frame.to_ndarray(format="rgba")  # manim hands the encoder RGBA frames
            start = time.perf_counter()
            packets = out.encode(av.VideoFrame.from_ndarray(rgba, format="rgba"))
            target.mux(packets)
            spent += time.perf_counter() - start
            frames += 1
        start = time.perf_counter()
        target.mux(out.encode(None))
        spent += time.perf_counter() - start
    return spent, frames


def main(qualities: list[str]) -> None:
    print(
        f"{'quality':>8} {'video':>8} {'frames':>7} {'render':>8} {'floor':>7} "
        f"{'render/duration':>16} {'render/floor':>13}"
    )
    for quality in qualities:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            video, _ = render_lecture(lecture_problem(), None, quality, Path(tmp), "bench")
            render = time.perf_counter() - start
            duration = video_duration(video)
            floor, frames = encode_floor(video, Path(tmp) / "floor.mp4")
        print(
            f"{QUALITIES[quality][1]:>8} {duration:>7.1f}s {frames:>7} {render:>7.1f}s "
            f"{floor:>6.1f}s {render / duration:>15.2f}× {render / floor:>12.1f}×",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:] or ["low", "high"])
