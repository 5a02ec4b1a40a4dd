"""Joining rendered parts into one video, one sound track and one set of captions.

The parts' video streams are copied, not re-encoded (they share every encoder setting);
their sound tracks, each exactly as long as its part's frames, are laid end to end and
encoded once, so the voice stays on the picture across every seam. Caption times move by
the length of the parts before them.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction
from pathlib import Path

from explainer.files.safe_json import load_json_file
from explainer.outputs.notes import render_notes


def frame_rate(stream) -> Fraction:
    """A video stream's nominal frame rate: the one its encoder was given (the H.264
    stream's own timing), not one guessed from the container's timestamps."""
    rate = stream.codec_context.framerate or stream.guessed_rate or stream.average_rate
    return Fraction(rate)


def frames_duration(video: Path) -> float:
    """The exact length of a video: its frame count over its nominal frame rate."""
    import av

    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        frames = stream.frames or sum(1 for _ in container.demux(stream) if _.dts is not None)
        return float(Fraction(frames) / frame_rate(stream))


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
    aac = work / f".{target.stem}.sound.m4a"
    encode_sound(wav, aac)
    with av.open(str(video_only)) as video_in, av.open(str(aac)) as audio_in:
        rate = frame_rate(video_in.streams.video[0])
        out = av.open(str(target), mode="w", options=mp4_options(rate))
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


SOUND_BIT_RATE = 64_000
"""AAC bits a second for each channel of the sound: the spoken-word rate of podcasts."""


def encode_sound(wav: Path, target: Path) -> None:
    """The sound track as AAC at its own sample rate and channels.

    manim's ``convert_audio`` lets the encoder choose: 48 kHz stereo, so the narrator's
    22.05 kHz mono was resampled and coded as 4.35 times the samples, at 128 kb/s. The
    lecture's 182 s of sound took 7.7 s, on one worker, after every part was drawn. At
    its own rate and channels, with ffmpeg's "fast" coder at 64 kb/s a channel, it took
    1.05 s and came out closer to the voice: a signal-to-noise ratio of 31.9 dB, where
    the default coder at its default 69 kb/s gave 27.8 dB in 2.5 s.
    """
    import av

    with av.open(str(wav)) as source, av.open(str(target), "w") as out:
        sound = source.streams.audio[0]
        channels = sound.codec_context.channels
        if channels not in _LAYOUTS:
            raise RuntimeError(f"{wav.name} has {channels} channels; the join takes 1 or 2")
        stream = out.add_stream("aac", rate=sound.rate, options={"aac_coder": "fast"})
        stream.layout = _LAYOUTS[channels]
        stream.bit_rate = SOUND_BIT_RATE * channels
        for frame in source.decode(sound):
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


_LAYOUTS = {1: "mono", 2: "stereo"}


def _concatenate_video(videos: list[Path], target: Path) -> None:
    """The parts' video streams one after the other, copied, on one clock.

    Each frame is stamped anew with its place in the whole video: frame n is shown at
    n / fps exactly. The parts' own timestamps cannot be carried over: manim joins the
    animations of a part with timestamps a few ticks off the frame grid, and a part's
    container lasts until its sound ends, up to a frame or three after its last frame, so
    that a join of the containers (ffmpeg's concat) held each part's last frame that long.
    """
    import av

    shapes = [_frame_order(video) for video in videos]
    rate = shapes[0][0]
    if any(r != rate for r, _, _ in shapes):
        raise RuntimeError("the parts to join have different frame rates")
    # Decoding may run ahead of display by a few frames (B-frames): one delay for the whole
    # video keeps the decoding times increasing across the joins.
    delay = max(d for _, _, d in shapes)
    tick = Fraction(rate.denominator, rate.numerator)
    out = av.open(str(target), mode="w", options=mp4_options(rate))
    try:
        v_out = None
        offset = 0
        for video, (_, ranks, _) in zip(videos, shapes, strict=True):
            with av.open(str(video)) as src:
                stream = src.streams.video[0]
                if v_out is None:
                    v_out = out.add_stream_from_template(template=stream)
                    v_out.time_base = tick
                    extradata = stream.codec_context.extradata
                elif stream.codec_context.extradata != extradata:
                    raise RuntimeError(f"{video.name} was encoded with other settings")
                k = 0
                for packet in src.demux(stream):
                    if packet.dts is None:
                        continue
                    packet.stream = v_out
                    packet.time_base = tick
                    packet.pts = offset + ranks[k]
                    packet.dts = offset + k - delay
                    packet.duration = 1
                    out.mux(packet)
                    k += 1
            offset += len(ranks)
    finally:
        out.close()


def mp4_options(rate: Fraction) -> dict[str, str]:
    """The MP4 muxer's options for a video of ``rate`` frames a second: its whole-movie
    clock as fine as the video track's (by default it counts milliseconds, and a 15 fps
    video of 1214 frames then lasted 80.933 s instead of 80.9333…)."""
    scale = rate.numerator
    while scale < 10000:  # the muxer's own rule for a video track's clock
        scale *= 2
    return {"movie_timescale": str(scale)}


def _frame_order(video: Path) -> tuple[Fraction, list[int], int]:
    """A video's frame rate; for each packet, in decoding order, the place of its frame in
    display order; and how many frames decoding runs ahead of display."""
    import av

    with av.open(str(video)) as src:
        stream = src.streams.video[0]
        rate = frame_rate(stream)
        shown = [p.pts for p in src.demux(stream) if p.dts is not None]
    place = {pts: n for n, pts in enumerate(sorted(shown))}
    if len(place) != len(shown):
        raise RuntimeError(f"{video.name} has two frames at one time")
    ranks = [place[pts] for pts in shown]
    delay = max((k - r for k, r in enumerate(ranks)), default=0)
    return rate, ranks, max(delay, 0)


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
