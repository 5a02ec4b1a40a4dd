"""How the lecture's frames are encoded: x264 settings chosen by measurement, and held
frames converted once.

Most of a narrated lecture is held frames: the picture waits while a sentence is spoken.
manim hands such a frame to the encoder once with a repeat count, and its encoder then
converts the same RGBA picture to YUV again for every repeat; at 1080p that conversion
costs as much as x264's own work on a frame that did not change. :func:`install` makes
the conversion happen once per picture. The x264 preset is ``veryfast``: on the lecture's
frames it takes 0.72× the time of manim's default (``medium``) for 0.85× the size and an
SSIM of 0.998 against the drawn frames (``benchmarks/bench_encode.py``).
"""

from __future__ import annotations

from fractions import Fraction

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
_manim_combine: list = []


def install() -> None:
    """Convert each picture to the encoder's pixel format once, however often it repeats,
    into one RGBA frame kept by the encoder; and leave a part's sound as WAV only."""
    if _installed[0]:
        return
    from manim.scene import scene_file_writer, video_segment_encoder

    def write_frame(self, pixels, *, repeat: int = 1) -> None:
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
    _manim_combine.append(scene_file_writer.SceneFileWriter.combine_to_movie)
    scene_file_writer.SceneFileWriter.combine_to_movie = _combine_to_movie
    _installed[0] = True


def _to_yuv(encoder, pixels):
    """``pixels`` (RGBA) in the encoder's pixel format, as a new frame.

    The RGBA picture is copied into one frame the encoder keeps (each encoder writes its
    frames one at a time, on its own thread) rather than into a new frame per picture:
    at 1080p a new frame cost 1.9 ms of allocation and copying, the copy into a kept one
    0.8 ms. The conversion is the same call either way, so the same pixels.
    """
    import av

    height, width = pixels.shape[:2]
    rgba = getattr(encoder, "_explainer_rgba", None)
    if rgba is None:
        rgba = av.VideoFrame(width, height, "rgba")
        encoder._explainer_rgba = rgba
    if rgba.planes[0].line_size == width * 4:
        rgba.planes[0].update(pixels)
    else:  # rows padded for alignment: the frame cannot take the array in one copy
        rgba = av.VideoFrame.from_ndarray(pixels, format="rgba")
    # One thread: swscale's automatic count follows the CPUs this process may use, and
    # the picture must not depend on that.
    return rgba.reformat(format=encoder._stream.pix_fmt, threads=1)


def _combine_to_movie(self) -> None:
    """manim's ending of a scene for a part: its animations' videos joined by stream copy,
    and its sound written as WAV beside them; no AAC track and no second MP4 with it.

    The join (:mod:`scenes.joining`) takes a part's video stream and its WAV only; manim
    also encoded the part's sound as AAC and muxed it into the part's MP4, work thrown
    away at the join (a fifth of the CPU of a short part at 1080p60).
    """
    from manim.scene.scene_file_writer import AudioSegment

    movies = [movie for movie in self.partial_movie_files if movie is not None]
    if not movies:
        return
    if self.output_spec.is_gif or self.output_spec.segment_extension != ".mp4":
        _manim_combine[0](self)  # not a part's MP4: manim's own ending
        return
    self._write_concat_manifest(movies)
    self.combine_files(movies, self.movie_file_path, False, self.includes_sound)
    if self.includes_sound:
        self.add_audio_segment(AudioSegment.silent(0))  # the sound as long as the video
        self.audio_segment.export(
            self.movie_file_path.with_suffix(".wav"), format="wav", bitrate="312k"
        )
