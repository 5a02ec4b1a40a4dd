"""Frames handed on as changed rectangles are the frames manim draws whole."""

from __future__ import annotations

import numpy as np
import pytest

manim = pytest.importorskip("manim")

from scenes import families, interpolation, redraw  # noqa: E402
from scenes.encoding import install as install_encoding  # noqa: E402


class _Movers(manim.Scene):
    """Shapes that move over a still picture, leave it, change colour and stroke, with
    sharp thick corners (a miter reaches past the points), a wait between, and a dot
    moved by an updater."""

    def construct(self):
        grid = manim.VGroup(
            *[
                manim.Square(0.9).shift((x - 3) * manim.RIGHT + (y - 1) * manim.UP)
                for x in range(7)
                for y in range(3)
            ]
        )
        self.add(grid)
        thick = manim.Polygon(
            [-0.3, 0, 0], [0.3, 0, 0], [0, 0.9, 0], color=manim.YELLOW, stroke_width=40
        )
        word = manim.Text("x·w", font_size=36).shift(2 * manim.DOWN)
        self.play(
            thick.animate.shift(6 * manim.RIGHT).rotate(2.0),
            manim.FadeIn(word),
            run_time=1,
        )
        self.wait(0.2)
        ring = manim.Circle(0.2, color=manim.BLUE)
        drifting = manim.Dot(color=manim.GREEN).shift(2 * manim.LEFT)
        drifting.add_updater(lambda dot, dt: dot.shift(dt * manim.UP))
        self.add(drifting)
        self.drifting = drifting
        self.play(
            ring.animate.scale(6).set_stroke(width=16),
            word.animate.set_color(manim.RED),
            run_time=1,
        )


def test_patched_frames_rebuild_the_frames_manim_draws(tmp_path, monkeypatch):
    from manim.renderer.cairo_renderer import CairoRenderer
    from manim.scene.scene_file_writer import SceneFileWriter

    install_encoding()
    redraw.install()
    families.install()
    interpolation.install()
    received: list = []
    expected: list[tuple[int, np.ndarray]] = []  # (the frame received, manim's frame)
    write_frame = SceneFileWriter.write_frame
    render = CairoRenderer.render

    def recording_write(self, pixels, *, repeat=1):
        received.append(pixels)  # the writer's own: manim hands on a copy, and so does redraw
        return write_frame(self, pixels, repeat=repeat)

    def checking_render(self, scene, time, moving_mobjects=None):
        render(self, scene, time, moving_mobjects)
        # manim's own frame: the still picture, and the moving shapes drawn on it whole.
        camera = manim.Camera()
        still = camera.background if self.static_image is None else self.static_image
        camera.set_pixel_array(still.copy())
        camera.capture_mobjects(moving_mobjects or scene.mobjects, include_submobjects=True)
        expected.append((len(received) - 1, camera.pixel_array.copy()))

    monkeypatch.setattr(SceneFileWriter, "write_frame", recording_write)
    monkeypatch.setattr(CairoRenderer, "render", checking_render)
    settings = {
        "media_dir": str(tmp_path),
        "pixel_width": 320,
        "pixel_height": 180,
        "frame_rate": 15,
        "disable_caching": True,
        "verbosity": "ERROR",
        "progress_bar": "none",
    }
    with manim.tempconfig(settings):
        scene = _Movers()
        scene.render()
    # The updater ran once a frame through the second animation (1 s): the dot rose 1.
    assert scene.drifting.get_center()[1] == pytest.approx(1.0, abs=0.1)

    picture = None
    rebuilt = []
    for frame in received:
        if isinstance(frame, redraw.FramePatch):
            height, width = frame.pixels.shape[:2]
            picture[frame.top : frame.top + height, frame.left : frame.left + width] = frame.pixels
        else:
            picture = frame.copy()
        rebuilt.append(picture.copy())
    patches = sum(isinstance(f, redraw.FramePatch) for f in received)
    assert patches >= 20  # most frames of the two animations came as rectangles
    assert all(f.pixels.size < 320 * 180 * 4 for f in received if isinstance(f, redraw.FramePatch))
    assert len(expected) >= 25
    for index, frame in expected:
        assert np.array_equal(rebuilt[index], frame), index


def test_a_part_is_drawn_with_few_garbage_collections():
    """While a part is drawn the cyclic collector waits for 50,000 allocations (not 700);
    the setting comes back afterwards, after an error too."""
    import gc

    from scenes.parts import _few_collections

    before = gc.get_threshold()
    with pytest.raises(KeyError), _few_collections():
        assert gc.get_threshold()[0] == 50_000
        raise KeyError
    assert gc.get_threshold() == before
