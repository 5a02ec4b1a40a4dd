"""Time rendering the narrated lecture: against its duration, the encoding floor, and itself.

For each quality (default: low and high), in one run:

  first        a render with an empty part cache (the voice's sentences already cached,
               as on any machine after its first render), against the video's duration
  floor        encoding the very frames of that video again with the render's encoder
               settings, timing only the encoder: what no pipeline of drawing can beat
  unchanged    the same render again: every part comes from the cache
  one changed  the same render after one part (the notation's) is taken out of the cache,
               as when one section's sentences or drawing changed

Ratios are printed against the video's duration and against the first render.

    .venv/bin/python benchmarks/bench_render.py [low|medium|high|4k ...]
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av

from explainer import lecture_problem
from scenes.encoding import ENCODER_OPTIONS
from scenes.render import QUALITIES, render_lecture, video_duration


def encode_floor(video: Path, scratch: Path) -> float:
    """Seconds spent encoding the video's own frames again (x264 only, as configured)."""
    spent = 0.0
    with av.open(str(video)) as source, av.open(str(scratch), mode="w") as target:
        src = source.streams.video[0]
        out = target.add_stream(
            "libx264", rate=src.average_rate, options={"crf": "23", **ENCODER_OPTIONS}
        )
        out.width, out.height, out.pix_fmt = (
            src.codec_context.width,
            src.codec_context.height,
            "yuv420p",
        )
        for index, frame in enumerate(source.decode(src)):
            yuv = frame.reformat(format="yuv420p")
            yuv.pts, yuv.time_base = index, Fraction(1) / Fraction(src.average_rate)
            start = time.perf_counter()
            target.mux(out.encode(yuv))
            spent += time.perf_counter() - start
        start = time.perf_counter()
        target.mux(out.encode(None))
        spent += time.perf_counter() - start
    return spent


def timed(quality: str, out: Path) -> tuple[float, Path]:
    start = time.perf_counter()
    video = render_lecture(lecture_problem(), None, quality, out, "bench").video
    return time.perf_counter() - start, video


def drop_part(cache: Path, section: str) -> None:
    """Take the cached part that holds ``section`` out of the cache, and the joined
    videos (a changed part has a new key, so no joined video of it exists yet)."""
    for folder in (cache / "parts").iterdir():
        if folder.name.startswith("joined-"):
            shutil.rmtree(folder)
            continue
        record = folder / "part.json"
        if record.exists() and any(
            b["key"].startswith(section + ".") for b in json.loads(record.read_text())["beats"]
        ):
            shutil.rmtree(folder)


def main(qualities: list[str]) -> None:
    print(
        f"{'quality':>8} {'video':>7} {'first':>7} {'÷video':>7} {'floor':>7} {'÷video':>7}"
        f" {'unchanged':>10} {'÷first':>7} {'one changed':>12} {'÷first':>7}"
    )
    for quality in qualities:
        with tempfile.TemporaryDirectory() as tmp:
            cache = Path(tmp) / "cache"
            os.environ["EXPLAINER_CACHE_DIR"] = str(cache)
            timed(quality, Path(tmp) / "warm")  # synthesizes the voice's sentences
            shutil.rmtree(cache / "parts")
            first, video = timed(quality, Path(tmp) / "a")
            duration = video_duration(video)
            floor = encode_floor(video, Path(tmp) / "floor.mp4")
            unchanged, _ = timed(quality, Path(tmp) / "b")
            drop_part(cache, "notation")
            changed, _ = timed(quality, Path(tmp) / "c")
        print(
            f"{QUALITIES[quality][1]:>8} {duration:>6.1f}s {first:>6.1f}s {first / duration:>6.2f}×"
            f" {floor:>6.1f}s {floor / duration:>6.2f}× {unchanged:>9.1f}s"
            f" {unchanged / first:>6.2f}× {changed:>11.1f}s {changed / first:>6.2f}×",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:] or ["low", "high"])
