"""How the lecture's frames are encoded: x264 settings chosen by measurement, held
frames converted once, and one encoder for a whole part.

Most of a narrated lecture is held frames: the picture waits while a sentence is spoken.
manim hands such a frame to the encoder once with a repeat count, and its encoder then
converts the same RGBA picture to YUV again for every repeat; at 1080p that conversion
costs as much as x264's own work on a frame that did not change. :func:`install` makes
the conversion happen once per picture, and only where the picture changed (see
:func:`_to_yuv`), and a part one video from one encoder rather than one video per
animation (see :func:`_open_stream`). The x264 preset is
``veryfast``: on the lecture's frames it takes 0.72× the time of manim's default
(``medium``) for 0.85× the size and an SSIM of 0.998 against the drawn frames
(``benchmarks/bench_encode.py``).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from scenes.redraw import FramePatch

# x264 splits each frame into one slice per encoder thread, and by default starts one
# thread per CPU the process may use: the same lecture rendered with fewer CPUs available
# (a busy machine's cgroup, taskset, a container) gave other bytes and other pixels. A
# fixed count makes the video depend on its input only.
ENCODER_THREADS = "2"


def _has_avx512() -> bool:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
            return any(line.startswith("flags") and " avx512f" in line for line in cpuinfo)
    except OSError:
        return False


def encoder_options() -> dict[str, str]:
    """The x264 options of every render.

    x264's AVX-512 code gives other bytes for the same frames from one run to the next
    when it encodes outside the main thread, as manim's writer thread does: three frames
    of the lecture's title encoded 20 times in a thread gave two different videos, ten
    times each; with AVX2 as the widest instruction set, one video, and 16 renders under
    load gave one video too. So where AVX-512 exists, x264 stops at AVX2, as it must on
    machines without AVX-512 anyway; it costs about 4% more encoding time.
    """
    options = {"threads": ENCODER_THREADS, "preset": "veryfast"}
    if _has_avx512():
        options["x264-params"] = "asm=avx2"
    return options


ENCODER_OPTIONS = encoder_options()

_installed = [False]
_manim: dict = {}


def install() -> None:
    """Convert each picture to the encoder's pixel format once, however often it repeats,
    through one RGBA frame kept by the encoder; encode a part with one encoder; and leave
    a part's sound as WAV only."""
    if _installed[0]:
        return
    from manim.scene import scene_file_writer, video_segment_encoder

    def write_frame(self, pixels, *, repeat: int = 1) -> None:
        if isinstance(pixels, FramePatch):
            kept = getattr(self, "_explainer_picture", None)
            if kept is None:
                raise RuntimeError("a changed rectangle came before any whole frame")
            self._validate_frame(kept.rgba, repeat)
        else:
            self._validate_frame(pixels, repeat)
        time_base = Fraction(self.spec.frame_rate.denominator, self.spec.frame_rate.numerator)
        try:
            frame = _to_yuv(self, pixels)
            for _ in range(repeat):
                frame.pts = self._next_pts
                frame.time_base = time_base
                self._next_pts += 1
                for packet in self._stream.encode(frame):
                    self._container.mux(packet)
        except BaseException as error:
            raise self._operation_error("encode", error) from error

    video_segment_encoder.VideoSegmentEncoder.write_frame = write_frame
    writer = scene_file_writer.SceneFileWriter
    _manim.update(
        combine=writer.combine_to_movie,
        open=writer.open_partial_movie_stream,
        close=writer.close_partial_movie_stream,
        abort=writer.abort_encode_jobs,
    )
    writer.combine_to_movie = _combine_to_movie
    writer.open_partial_movie_stream = _open_stream
    writer.close_partial_movie_stream = _close_stream
    writer.abort_encode_jobs = _abort_streams
    _installed[0] = True


# manim encodes each animation (each play and wait) as a video of its own, with an
# encoder of its own, and joins them by stream copy. A part is now one video from one
# encoder: the first animation's, kept open for the next ones (their frames continue its
# clock) and closed when the scene ends. Each new encoder cost x264's start (its first
# frame coded whole, its lookahead empty) and its end (the lookahead emptied while the
# drawing waited): 1864 frames of the lecture cut every 49 frames took 1.2× the x264
# time of one encoder.


def _is_part(writer) -> bool:
    spec = writer.output_spec
    return spec.is_video and not spec.is_gif and spec.segment_extension == ".mp4"


def _open_stream(self, *, animation_index: int, file_path=None) -> None:
    held = getattr(self, "_explainer_job", None)
    if held is not None and self._current_encode_job is None:
        self._current_encode_job = held  # this animation continues the part's video
        return
    _manim["open"](self, animation_index=animation_index, file_path=file_path)
    if _is_part(self):
        self._explainer_job = self._current_encode_job


def _close_stream(self) -> None:
    held = getattr(self, "_explainer_job", None)
    if held is not None and self._current_encode_job is held:
        self._current_encode_job = None  # kept open for the next animation
        return
    _manim["close"](self)


def _abort_streams(self, reraise_encoder_failures: bool = False) -> None:
    held = getattr(self, "_explainer_job", None)
    self._explainer_job = None
    if held is not None and held is not self._current_encode_job:
        held.abort()  # between animations: manim's own abort would not see it
        held.thread.join()
    _manim["abort"](self, reraise_encoder_failures)


def _to_yuv(encoder, pixels):
    """``pixels`` (RGBA, or a :class:`~scenes.redraw.FramePatch` of the picture before)
    in the encoder's pixel format, as a frame valid until the next picture comes to the
    same encoder (the encoder codes each frame before the next).

    Between two frames of an animation most of the picture stays as it was (a window
    moves, a cell fades in): only the rectangle that changed, widened by :data:`REACH`
    pixels (a 4:2:0 chroma sample also reads the rows next to its 2×2 block), is
    converted again, from a crop :data:`MARGIN` pixels larger still, and pasted into the
    frame the encoder keeps. The frame then holds exactly what converting the whole
    picture gives (``tests/test_encoding.py``; the lecture's videos came out byte for byte
    the same). At 1080p a whole conversion costs about 6 ms of CPU, finding the changed
    rectangle about 1 ms; on the one-dimension section the conversions took 0.42× the
    CPU of whole ones (the changed rectangle is 11% of the picture on average).
    """
    kept = getattr(encoder, "_explainer_picture", None)
    if isinstance(pixels, FramePatch):
        kept.paste(pixels)
        return kept.yuv
    pix_fmt = encoder._stream.pix_fmt
    if kept is None or kept.rgba.shape != pixels.shape or kept.pix_fmt != pix_fmt:
        kept = encoder._explainer_picture = _Picture(pixels, pix_fmt)
        return kept.yuv
    kept.update(pixels)
    return kept.yuv


REACH = 4
"""How far (pixels) from a changed pixel a converted sample may change: swscale's 4:2:0
chroma sits between two rows and is filtered from the rows around them (a change reached
the chroma row above its 2×2 block; 2 pixels were enough in ``tests/test_encoding.py``)."""

MARGIN = 4
"""Pixels converted around those samples and not used (even: chroma stays aligned)."""

WHOLE = 0.6
"""A change covering more than this share of the picture is converted whole."""


class _Picture:
    """The last picture an encoder was given, in RGBA and in its pixel format."""

    def __init__(self, pixels, pix_fmt: str) -> None:
        self.pix_fmt = pix_fmt
        self.rgba = pixels.copy()
        self.yuv = _convert(self.rgba, pix_fmt)
        height, width = pixels.shape[:2]
        # Rectangles are converted alone only where 4:2:0's blocks are whole.
        self.by_parts = pix_fmt == "yuv420p" and height % 2 == 0 and width % 2 == 0

    def update(self, pixels) -> None:
        box = _changed(self.rgba, pixels)
        if box is not None:
            self._convert_box(box, pixels, 0, 0)

    def paste(self, patch: FramePatch) -> None:
        """The picture before with ``patch`` pasted: only what differs within it is
        converted again."""
        height, width = patch.pixels.shape[:2]
        if patch.top + height > self.rgba.shape[0] or patch.left + width > self.rgba.shape[1]:
            raise RuntimeError("a changed rectangle reaches outside the picture")
        rows = slice(patch.top, patch.top + height)
        cols = slice(patch.left, patch.left + width)
        box = _changed(self.rgba[rows, cols], patch.pixels)
        if box is not None:
            top, bottom, left, right = box
            shifted = (top + patch.top, bottom + patch.top, left + patch.left, right + patch.left)
            self._convert_box(shifted, patch.pixels, patch.top, patch.left)

    def _convert_box(self, box, pixels, top_of_pixels: int, left_of_pixels: int) -> None:
        """Take the rectangle ``box`` of the picture from ``pixels`` (whose first pixel
        is the picture's (``top_of_pixels``, ``left_of_pixels``)) and convert it again."""
        top, bottom, left, right = box
        height, width = self.rgba.shape[:2]
        taken = pixels[
            top - top_of_pixels : bottom - top_of_pixels,
            left - left_of_pixels : right - left_of_pixels,
        ]
        self.rgba[top:bottom, left:right] = taken
        if not self.by_parts or (bottom - top) * (right - left) > WHOLE * height * width:
            self.yuv = _convert(self.rgba, self.pix_fmt)
            return
        # The samples that may depend on the change, in whole 2×2 blocks ...
        top, left = max(0, top - REACH) & ~1, max(0, left - REACH) & ~1
        bottom = min(height, (bottom + REACH + 1) & ~1)
        right = min(width, (right + REACH + 1) & ~1)
        outer_top, outer_left = max(0, top - MARGIN), max(0, left - MARGIN)
        outer_bottom, outer_right = min(height, bottom + MARGIN), min(width, right + MARGIN)
        part = _convert(self.rgba[outer_top:outer_bottom, outer_left:outer_right], self.pix_fmt)
        for k, (plane, source) in enumerate(zip(self.yuv.planes, part.planes, strict=True)):
            scale = 2 if k else 1
            rows = slice(top // scale, bottom // scale)
            cols = slice(left // scale, right // scale)
            within_rows = slice((top - outer_top) // scale, (bottom - outer_top) // scale)
            within_cols = slice((left - outer_left) // scale, (right - outer_left) // scale)
            _plane(plane)[rows, cols] = _plane(source)[within_rows, within_cols]


def _changed(old, new) -> tuple[int, int, int, int] | None:
    """The smallest rectangle (top, bottom, left, right; ends excluded) outside which
    ``new`` equals ``old``, or None if they are equal."""
    shape = old.shape[:2]
    differs = old.view(np.uint32).reshape(shape) != new.view(np.uint32).reshape(shape)
    rows = np.flatnonzero(differs.any(axis=1))
    if not len(rows):
        return None
    top, bottom = int(rows[0]), int(rows[-1]) + 1
    cols = np.flatnonzero(differs[top:bottom].any(axis=0))
    return top, bottom, int(cols[0]), int(cols[-1]) + 1


def _plane(plane):
    """A frame's plane as a writable array of its rows, without their alignment padding."""
    lines = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
    return lines[:, : plane.width]


def _convert(rgba, pix_fmt: str):
    import av

    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgba), format="rgba")
    # One thread: swscale's automatic count follows the CPUs this process may use, and
    # the picture must not depend on that.
    return frame.reformat(format=pix_fmt, threads=1)


def _combine_to_movie(self) -> None:
    """manim's ending of a scene for a part: its animations' videos joined by stream copy,
    and its sound written as WAV beside them; no AAC track and no second MP4 with it.

    The join (:mod:`scenes.joining`) takes a part's video stream and its WAV only; manim
    also encoded the part's sound as AAC and muxed it into the part's MP4, work thrown
    away at the join (a fifth of the CPU of a short part at 1080p60).
    """
    from manim.scene.scene_file_writer import AudioSegment

    if not _is_part(self):
        _manim["combine"](self)  # not a part's MP4: manim's own ending
        return
    held = getattr(self, "_explainer_job", None)
    if held is None:
        return  # no animation drawn
    self._explainer_job = None
    held.seal()
    held.join()  # the encoder's failure, if any, is the render's
    movies = [str(held.path)]
    self._write_concat_manifest(movies)
    self.combine_files(movies, self.movie_file_path, False, self.includes_sound)
    if self.includes_sound:
        self.add_audio_segment(AudioSegment.silent(0))  # the sound as long as the video
        self.audio_segment.export(
            self.movie_file_path.with_suffix(".wav"), format="wav", bitrate="312k"
        )
