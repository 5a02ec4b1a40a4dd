"""Where results go: complete or absent, and never onto something that is not a file.

Run as root, so permission problems are made with special files, symbolic links, /dev/full
and monkeypatched system calls rather than with chmod.
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cli_support import IS_ROOT, one_line_error, run

from explainer.cli import main
from explainer.errors import OutputError
from explainer.files.output import write_atomic

needs_root = pytest.mark.skipif(not IS_ROOT, reason="mknod and chown to another user need root")


def render_failed(code: int, err: str, needle: str) -> None:
    """A render that fails while writing: its progress so far, then one line of error."""
    assert code == 2, err
    assert err.endswith("\n") and "Traceback" not in err
    last = err.splitlines()[-1]
    assert last.startswith("explainer: error: ") and err.count("explainer: error") == 1, err
    assert needle in last, err


@needs_root
def test_a_device_is_never_replaced(tmp_path, capsys):
    device = tmp_path / "full"
    os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 7))  # what /dev/full is
    os.chmod(device, 0o666)  # mknod applied the umask
    code, out, err = run(capsys, "derive", "--patch", "0,0", "--output", str(device))
    one_line_error(code, err, "it is a character device, and only regular files are replaced")
    info = os.lstat(device)
    assert stat.S_ISCHR(info.st_mode) and info.st_rdev == os.makedev(1, 7)
    assert stat.S_IMODE(info.st_mode) == 0o666
    assert os.listdir(tmp_path) == ["full"]  # no temporary file left beside it


def test_a_fifo_and_a_folder_are_never_replaced(tmp_path, capsys):
    fifo, folder = tmp_path / "pipe", tmp_path / "folder"
    os.mkfifo(fifo)
    folder.mkdir()
    code, _, err = run(capsys, "derive", "--patch", "0,0", "--output", str(fifo))
    one_line_error(code, err, "named pipe (FIFO)")
    code, _, err = run(capsys, "derive", "--patch", "0,0", "--output", str(folder))
    one_line_error(code, err, "it is a folder")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and folder.is_dir() and not any(folder.iterdir())


def test_the_target_is_checked_before_the_work(tmp_path, capsys, monkeypatch):
    import explainer.outputs.printing

    def no_work(*args, **kwargs):
        raise AssertionError("derivations started although the output cannot be written")

    monkeypatch.setattr(explainer.outputs.printing, "derivation", no_work)
    code, _, err = run(capsys, "derive", "--output", str(tmp_path))
    one_line_error(code, err, "it is a folder")


def test_a_symbolic_link_is_written_through(tmp_path, capsys):
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to("real.txt")
    code, _, err = run(capsys, "derive", "--patch", "1,1", "--output", str(link))
    assert code == 0, err
    assert link.is_symlink() and os.readlink(link) == "real.txt"
    assert real.read_text(encoding="utf-8").startswith("Convolution: 9×9 image")
    assert sorted(os.listdir(tmp_path)) == ["link.txt", "real.txt"]


def test_a_dangling_link_creates_the_file_it_names(tmp_path):
    link = tmp_path / "link.txt"
    link.symlink_to("made.txt")
    write_atomic(link, b"data")
    assert link.is_symlink() and (tmp_path / "made.txt").read_bytes() == b"data"


def test_a_link_to_a_device_is_refused(tmp_path):
    link = tmp_path / "null"
    link.symlink_to("/dev/null")
    with pytest.raises(OutputError, match="character device"):
        write_atomic(link, b"data")
    assert link.is_symlink() and stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_an_existing_file_keeps_its_permissions(tmp_path):
    target = tmp_path / "result.txt"
    target.write_text("old")
    os.chmod(target, 0o640)
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640


def test_a_new_file_gets_the_usual_mode(tmp_path):
    old_umask = os.umask(0o022)
    try:
        write_atomic(tmp_path / "new.txt", b"new")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(os.stat(tmp_path / "new.txt").st_mode) == 0o644  # 0666 minus 022


@needs_root
def test_an_existing_file_keeps_its_owner(tmp_path):
    target = tmp_path / "theirs.txt"
    target.write_text("old")
    os.chown(target, 1234, 2345)
    write_atomic(target, b"new")
    info = os.stat(target)
    assert (info.st_uid, info.st_gid) == (1234, 2345) and target.read_bytes() == b"new"


def test_hard_links_are_named_in_a_warning(tmp_path, capsys):
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("old")
    os.link(first, second)
    code, _, err = run(capsys, "derive", "--patch", "0,0", "--output", str(first))
    assert code == 0
    assert "explainer: warning: " in err and "had 2 names (hard links)" in err
    assert second.read_text() == "old" and first.read_text(encoding="utf-8") != "old"


def test_a_name_too_long_is_one_line(tmp_path, capsys):
    code, _, err = run(capsys, "derive", "--patch", "0,0", "--output", str(tmp_path / ("n" * 300)))
    one_line_error(code, err, "File name too long")


def test_a_long_but_valid_name_still_gets_a_temporary_file(tmp_path):
    target = tmp_path / ("n" * 250)  # the temporary name must not pass 255 bytes
    write_atomic(target, b"data")
    assert target.read_bytes() == b"data" and os.listdir(tmp_path) == [target.name]


def test_a_full_disk_keeps_the_previous_file(tmp_path, monkeypatch):
    target = tmp_path / "result.txt"
    target.write_text("previous")
    real_write = os.write

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    monkeypatch.setattr(os, "fsync", lambda fd: full(fd, b""))
    with pytest.raises(OutputError, match="No space left on device"):
        write_atomic(target, b"x" * 100_000)
    monkeypatch.setattr(os, "write", real_write)
    assert target.read_text() == "previous" and os.listdir(tmp_path) == ["result.txt"]


def test_permission_denied_in_the_folder_is_one_line(tmp_path, capsys, monkeypatch):
    real_open = os.open

    def denied(path, flags, mode=0o777, **kwargs):
        if flags & os.O_CREAT:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, mode, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    code, _, err = run(capsys, "derive", "--patch", "0,0", "--output", str(tmp_path / "r.txt"))
    one_line_error(code, err, "Permission denied")


# ----- standard output -----------------------------------------------------------------


@needs_root
def test_a_full_standard_output_is_one_line(tmp_path, capsys, monkeypatch):
    device = tmp_path / "full"
    os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    with open(device, "w", encoding="utf-8") as full:
        monkeypatch.setattr(sys, "stdout", full)
        code = main(["derive", "--patch", "0,0"])
        monkeypatch.undo()
    one_line_error(code, capsys.readouterr().err, "cannot write to standard output")


def test_a_closed_standard_output_is_one_line(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdout", None)  # what Python gives for `explainer ... >&-`
    code = main(["presets"])
    monkeypatch.undo()
    one_line_error(code, capsys.readouterr().err, "standard output is closed")


def test_a_full_standard_output_exits_2_without_python_noise():
    """Python flushes stdout again at exit; that second failure must not surface either."""
    exe = Path(sys.executable).parent / "explainer"
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [str(exe), "presets"], stdout=full, stderr=subprocess.PIPE, text=True, timeout=60
        )
    assert proc.returncode == 2, proc.stderr
    assert (
        proc.stderr
        == "explainer: error: cannot write to standard output: No space left on device\n"
    )


# ----- the render's output folder -------------------------------------------------------


def test_render_output_dir_that_is_a_file(tmp_path, capsys):
    plain = tmp_path / "plain"
    plain.write_text("not a folder")
    code, _, err = run(capsys, "render", "--quality", "low", "--output-dir", str(plain))
    one_line_error(code, err, "is a regular file, not a folder")
    assert plain.read_text() == "not a folder"


@pytest.mark.parametrize(
    "failure,needle",
    [
        (PermissionError(errno.EACCES, "Permission denied"), "Permission denied"),
        (OSError(errno.EROFS, "Read-only file system"), "Read-only file system"),
    ],
)
def test_render_output_dir_that_cannot_be_written(tmp_path, capsys, monkeypatch, failure, needle):
    import scenes.render

    def refuse(*args, **kwargs):
        raise failure

    monkeypatch.setattr(scenes.render, "render_lecture", refuse)
    argv = ["render", "--quality", "low", "--section", "title", "--output-dir", str(tmp_path)]
    code, _, err = run(capsys, *argv)
    render_failed(code, err, f"cannot write the video into {tmp_path}: {needle}")


def test_render_onto_a_full_disk(tmp_path, capsys, monkeypatch):
    """manim's encoder reports a full disk as a RuntimeError caused by the OSError."""
    import scenes.render

    def full(*args, **kwargs):
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as err:
            raise RuntimeError("Failed to encode video segment") from err

    monkeypatch.setattr(scenes.render, "render_lecture", full)
    argv = ["render", "--quality", "low", "--section", "title", "--output-dir", str(tmp_path)]
    code, _, err = run(capsys, *argv)
    render_failed(code, err, "No space left on device")
