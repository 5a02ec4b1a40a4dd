"""Joining rendered parts into one video, one sound track and one set of captions.

The parts' video streams are copied, not re-encoded (they share every encoder setting);
their sound tracks, each exactly as long as its part's frames, are laid end to end and
encoded once, so the voice stays on the picture across every seam. Caption times move by
the length of the parts before them.
"""

from __future__ import annotations

import io
import os
import shutil
import wave
from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction
from pathlib import Path

from explainer.files.safe_json import load_json_file
from explainer.outputs.notes import render_notes


def frames_duration(video: Path) -> float:
    """The exact length of a video: its frame count over its frame rate."""
    import av

    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        frames = stream.frames or sum(1 for _ in container.demux(stream) if _.dts is not None)
        return float(Fraction(frames) / Fraction(stream.average_rate))


@dataclass(frozen=True)
class TimedBeat:
    key: str
    caption: str
    start: float
    end: float
    shown: tuple[float, float]


def timeline(folders: list[Path]) -> tuple[list[TimedBeat], float]:
    """Every beat of the joined video with its times, and the video's total length."""
    beats: list[TimedBeat] = []
    offset = 0.0
    for folder in folders:
        record = load_json_file(folder / "part.json")
        for b in record["beats"]:
            beats.append(
                TimedBeat(
                    b["key"],
                    b["caption"],
                    offset + b["start"],
                    offset + b["end"],
                    (offset + b["shown"][0], offset + b["shown"][1]),
                )
            )
        offset += record["duration"]
    return beats, offset


def write_captions(beats: list[TimedBeat], target: Path) -> None:
    """An .srt file: one cue per sentence, from its first to its last spoken moment."""
    import srt

    cues = [
        srt.Subtitle(
            index=k,
            start=timedelta(seconds=round(b.start, 3)),
            end=timedelta(seconds=round(b.end, 3)),
            content=b.caption,
        )
        for k, b in enumerate(beats, start=1)
    ]
    target.write_text(srt.compose(cues), encoding="utf-8")


def join_videos(folders: list[Path], target: Path) -> None:
    """One MP4 from the parts' videos (stream copy) and sound (encoded once, as AAC)."""
    import av

    work = target.parent
    video_only = work / f".{target.stem}.video.mp4"
    _concatenate_video([f / "video.mp4" for f in folders], video_only)
    durations = [load_json_file(f / "part.json")["duration"] for f in folders]
    sounds = [f / "audio.wav" if (f / "audio.wav").exists() else None for f in folders]
    if not any(sounds):
        video_only.replace(target)
        return
    wav = work / f".{target.stem}.sound.wav"
    wav.write_bytes(_sound_track(sounds, durations))
    aac = work / f".{target.stem}.sound.aac"
    from manim.scene.scene_file_writer import convert_audio

    convert_audio(wav, aac, "aac")
    with av.open(str(video_only)) as video_in, av.open(str(aac)) as audio_in:
        out = av.open(str(target), mode="w")
        try:
            v_out = out.add_stream_from_template(template=video_in.streams.video[0])
            a_out = out.add_stream_from_template(template=audio_in.streams.audio[0])
            for packet in video_in.demux(video_in.streams.video[0]):
                if packet.dts is not None:
                    packet.stream = v_out
                    out.mux(packet)
            for packet in audio_in.demux(audio_in.streams.audio[0]):
                if packet.dts is not None:
                    packet.stream = a_out
                    out.mux(packet)
        finally:
            out.close()
    for scratch in (video_only, wav, aac):
        scratch.unlink(missing_ok=True)


def _concatenate_video(videos: list[Path], target: Path) -> None:
    # The concat list names each video by a plain relative name, linked beside the list:
    # a folder's name may hold a quote or a newline, which the list's syntax cannot carry.
    names = []
    for k, video in enumerate(videos):
        name = f".{target.stem}.{k}.mp4"
        (target.parent / name).unlink(missing_ok=True)
        try:
            os.link(video, target.parent / name)
        except OSError:
            shutil.copyfile(video, target.parent / name)
        names.append(name)
    listing = target.parent / f".{target.stem}.concat.txt"
    listing.write_text("".join(f"file '{name}'\n" for name in names), encoding="ascii")
    try:
        _concatenate_listed(listing, target)
    finally:
        for name in names:
            (target.parent / name).unlink(missing_ok=True)
        listing.unlink(missing_ok=True)


def _concatenate_listed(listing: Path, target: Path) -> None:
    import av

    with av.open(
        f"file:{listing.as_posix()}", format="concat", options={"safe": "0", "an": "1"}
    ) as src:
        stream = src.streams.video[0]
        out = av.open(str(target), mode="w")
        try:
            v_out = out.add_stream_from_template(template=stream)
            for packet in src.demux(stream):
                if packet.dts is None:
                    continue
                packet.dts = None  # consecutive files' dts need not be monotonic: recompute
                packet.stream = v_out
                out.mux(packet)
        finally:
            out.close()


def _sound_track(sounds: list[Path | None], durations: list[float]) -> bytes:
    """The parts' sound laid end to end, each cut or padded to its part's exact length
    (a silent part contributes silence)."""
    params = None
    for s in sounds:
        if s is not None:
            with wave.open(str(s), "rb") as w:
                params = (w.getnchannels(), w.getsampwidth(), w.getframerate())
            break
    assert params is not None
    channels, width, rate = params
    frame_bytes = channels * width
    chunks = []
    for sound, duration in zip(sounds, durations, strict=True):
        want = round(duration * rate)
        data = b""
        if sound is not None:
            with wave.open(str(sound), "rb") as w:
                if (w.getnchannels(), w.getsampwidth(), w.getframerate()) != params:
                    raise RuntimeError(f"{sound} has another sample format than the other parts")
                data = w.readframes(w.getnframes())
        data = data[: want * frame_bytes]
        chunks.append(data + b"\0" * (want * frame_bytes - len(data)))
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(b"".join(chunks))
    return out.getvalue()


def timed_script(script, beats) -> str:
    """The script as JSON with, for each beat rendered, when its sentence is spoken
    (start, end) and when the scene showed its caption (the scene's own record)."""
    import json

    timings = {b.key: (b.start, b.end) for b in beats}
    doc = json.loads(render_notes(script, "json", timings))
    shown = {b.key: [round(b.shown[0], 3), round(b.shown[1], 3)] for b in beats}
    for section in doc["sections"]:
        for beat in section["beats"]:
            if beat["key"] in shown:
                beat["caption_shown"] = shown[beat["key"]]
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
