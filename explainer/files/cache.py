"""Verified, content-addressed cache entries: nothing is used from the cache unchecked.

The cache folder (``$EXPLAINER_CACHE_DIR``, else ``$XDG_CACHE_HOME/explainer``, else
``~/.cache/explainer``) holds *entries*: one folder per synthesized sentence
(``voice/<voice>/<key>/``), per rendered part (``parts/<key>/``), per joined video
(``parts/joined-<key>/``) and per document a course made (``documents/<kind>-<key>/``).
The key is a hash of everything that makes the entry's content, so an entry is never
updated, only made, used, or removed.

Every entry holds a record, ``entry.json``, written last: the size and SHA-256 digest of
each of its files, and what its maker wants to remember (a sentence's duration). Before an
entry is used, :func:`open_entry` checks it: the entry must be a real folder (not a link),
its record must read as such, and each file it names must be a regular file (not a link,
FIFO or device) of exactly the recorded size and digest. An entry that fails is removed,
with one warning line, and made again. Entries are built in a private temporary folder
and published by one rename, so a reader never sees half of one. Files are read out of an
entry (:func:`copy_verified`, :func:`read_verified`) never beyond their recorded size, and
checked against their digest on the way, before anything is put in place.

The cache keeps at most :data:`DEFAULT_LIMIT_BYTES` (3 GiB; ``$EXPLAINER_CACHE_LIMIT``
bytes when set); beyond it the least recently used entries are removed. ``explainer cache
info`` shows what it holds, ``explainer cache clear`` empties it.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import math
import os
import re
import shutil
import stat
import tempfile
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from explainer.errors import ExplainerWarning, OutputError
from explainer.files.safe_io import printable, reason
from explainer.files.safe_json import loads_bounded

RECORD = "entry.json"
RECORD_FORMAT = 1
MAX_RECORD_BYTES = 1024 * 1024
DEFAULT_LIMIT_BYTES = 3 * 1024**3
LIMIT_VARIABLE = "EXPLAINER_CACHE_LIMIT"
KINDS = ("voice", "parts", "documents")
"""The cache folder's own subfolders; nothing else in it is ever touched."""
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
_DIGEST = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1 << 20


class CacheError(OutputError):
    """The cache folder cannot be used (not a folder, no permission, a full disk)."""


class Damaged(Exception):
    """An entry, or a file read out of it, does not match its record."""


def cache_root() -> Path:
    """Where cached speech, parts and joined videos are kept between runs."""
    explicit = os.environ.get("EXPLAINER_CACHE_DIR")
    if explicit:
        return Path(os.path.abspath(explicit))
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.path.abspath(base)) / "explainer"


def cache_limit() -> int:
    """The cache's size cap in bytes: ``$EXPLAINER_CACHE_LIMIT`` or 3 GiB."""
    text = os.environ.get(LIMIT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_LIMIT_BYTES
    if not re.fullmatch(r"[0-9]{1,18}", text):
        raise CacheError(
            f"{LIMIT_VARIABLE}={printable(text)!r} is not valid; give a whole number of bytes"
        )
    return int(text)


def check_cache_folder(root: Path | None = None) -> Path:
    """The cache folder, created if need be; refuse one that cannot be used, before any work.

    Raises
    ------
    CacheError
        Naming the cache folder and the reason (a file in its place, no permission).
    """
    root = Path(root) if root is not None else cache_root()
    shown = printable(str(root))
    hint = "set EXPLAINER_CACHE_DIR to a folder you can write"
    try:
        root.mkdir(parents=True, exist_ok=True)
        info = os.stat(root)
    except FileExistsError:
        raise CacheError(f"the cache folder {shown} is not a folder; {hint}") from None
    except (OSError, ValueError) as err:
        why = reason(err) if isinstance(err, OSError) else "not a valid name"
        raise CacheError(f"cannot use the cache folder {shown}: {why}; {hint}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise CacheError(f"the cache folder {shown} is not a folder; {hint}")
    if not os.access(root, os.W_OK | os.X_OK):
        raise CacheError(f"cannot write the cache folder {shown}: Permission denied; {hint}")
    return root


@dataclass(frozen=True)
class FileRecord:
    """What an entry's record says of one of its files."""

    size: int
    sha256: str


@dataclass(frozen=True)
class Entry:
    """A checked cache entry: its folder, its files' records and its maker's notes."""

    folder: Path
    files: Mapping[str, FileRecord]
    meta: Mapping[str, object]

    def path(self, name: str) -> Path:
        """Where the entry's file ``name`` is (checked when the entry was opened)."""
        return self.folder / name

    def has(self, name: str) -> bool:
        return name in self.files


def _warn(what: str, folder: Path, why: str) -> None:
    warnings.warn(
        f"the cached {what} {printable(folder.name)} was damaged ({why}); it was removed "
        "and is made again",
        ExplainerWarning,
        stacklevel=3,
    )


def remove(path: Path) -> None:
    """Remove a cache entry, whatever it became (a folder, a file, a link, a FIFO).

    Raises
    ------
    CacheError
        When it cannot be removed (no permission).
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as err:
        raise CacheError(f"cannot remove {printable(str(path))}: {reason(err)}") from None
    try:
        if stat.S_ISDIR(info.st_mode):
            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:
        return
    except OSError as err:
        raise CacheError(
            f"cannot remove the cache entry {printable(str(path))}: {reason(err)}"
        ) from None


def _open_file(path: Path, size: int) -> int:
    """A descriptor on the regular file ``path`` (never through a link) of ``size`` bytes."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise Damaged(f"{path.name} is missing") from None
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise Damaged(f"{path.name} is a symbolic link") from None
        raise Damaged(f"{path.name} cannot be read: {reason(err)}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise Damaged(f"{path.name} is not a regular file")
    if info.st_size != size:
        os.close(fd)
        raise Damaged(f"{path.name} has {info.st_size:,} bytes, not the {size:,} recorded")
    return fd


def _stream(path: Path, record: FileRecord, sink: Callable[[bytes], object] | None) -> None:
    """Read ``path`` within its recorded size, hand each chunk to ``sink``, and check its
    digest at the end (raising :class:`Damaged` on any difference)."""
    fd = _open_file(path, record.size)
    digest = hashlib.sha256()
    total = 0
    try:
        while total <= record.size:
            chunk = os.read(fd, min(_CHUNK, record.size + 1 - total))
            if not chunk:
                break
            total += len(chunk)
            digest.update(chunk)
            if sink is not None and total <= record.size:
                sink(chunk)
    except OSError as err:
        raise Damaged(f"{path.name} cannot be read: {reason(err)}") from None
    finally:
        os.close(fd)
    if total != record.size:
        raise Damaged(f"{path.name} has {total:,} bytes, not the {record.size:,} recorded")
    if digest.hexdigest() != record.sha256:
        raise Damaged(f"{path.name} does not match its recorded digest")


def _read_record(folder: Path) -> tuple[dict[str, FileRecord], dict]:
    path = folder / RECORD
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise Damaged("its record is not a regular file")
        data = os.read(fd, MAX_RECORD_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_RECORD_BYTES:
        raise Damaged("its record is too large")
    doc = loads_bounded(data, RECORD, depth=8)
    if not isinstance(doc, dict) or doc.get("format") != RECORD_FORMAT:
        raise Damaged("its record is not in the expected format")
    files, meta = doc.get("files"), doc.get("meta", {})
    if not isinstance(files, dict) or not isinstance(meta, dict):
        raise Damaged("its record is not in the expected format")
    records: dict[str, FileRecord] = {}
    for name, entry in files.items():
        if (
            not _NAME.fullmatch(name)
            or name == RECORD
            or not isinstance(entry, dict)
            or type(entry.get("size")) is not int
            or not 0 <= entry["size"] < 1 << 48
            or not isinstance(entry.get("sha256"), str)
            or not _DIGEST.fullmatch(entry["sha256"])
        ):
            raise Damaged("its record is not in the expected format")
        records[name] = FileRecord(entry["size"], entry["sha256"])
    return records, meta


def _check(folder: Path, required: Iterable[str], check) -> Entry:
    info = os.lstat(folder)
    if stat.S_ISLNK(info.st_mode):
        raise Damaged("it is a symbolic link")
    if not stat.S_ISDIR(info.st_mode):
        raise Damaged("it is not a folder")
    try:
        files, meta = _read_record(folder)
    except FileNotFoundError:
        raise Damaged("it has no record of its files") from None
    except OSError as err:
        why = "its record is a symbolic link" if err.errno == errno.ELOOP else reason(err)
        raise Damaged(why) from None
    except ValueError as err:  # the bounded JSON reader's InputFileError
        raise Damaged(f"its record is unreadable: {err}") from None
    for name in required:
        if name not in files:
            raise Damaged(f"it has no {name}")
    for name, record in files.items():
        _stream(folder / name, record, None)
    strays = sorted(p.name for p in folder.iterdir() if p.name != RECORD and p.name not in files)
    if strays:
        raise Damaged(f"it holds {printable(strays[0])}, which its record does not name")
    entry = Entry(folder, files, meta)
    if check is not None:
        try:
            check(entry)
        except (KeyError, TypeError, ValueError) as err:
            raise Damaged(f"it holds {err}") from None
    return entry


def open_entry(
    folder: Path,
    required: Iterable[str] = (),
    what: str = "entry",
    check: Callable[[Entry], None] | None = None,
) -> Entry | None:
    """The checked entry in ``folder``; None when there is none, or it was damaged (it is
    then removed, with one warning line, so that the caller makes it again).

    ``check`` may raise ``ValueError`` for an entry whose files and notes match their
    record but are impossible (an infinite duration, a WAV header claiming hours); the
    entry then counts as damaged.
    """
    folder = Path(folder)
    try:
        entry = _check(folder, tuple(required), check)
    except FileNotFoundError:
        return None
    except OSError as err:
        shown = printable(str(folder))
        raise CacheError(f"cannot read the cache entry {shown}: {reason(err)}") from None
    except Damaged as why:
        _warn(what, folder, str(why))
        remove(folder)
        return None
    touch(folder)
    return entry


def file_record(path: Path) -> FileRecord:
    """The size and digest of a file just made (for an entry's record)."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return FileRecord(size, digest.hexdigest())


def new_work_folder(parent: Path, key: str) -> Path:
    """A private temporary folder beside the entries (same file system: one rename
    publishes it), named with this process's id so that an abandoned one can be found."""
    try:
        parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{key}.{os.getpid()}.", dir=parent))
    except OSError as err:
        raise CacheError(
            f"cannot write the cache folder {printable(str(parent))}: {reason(err)}"
        ) from None


def publish(
    work: Path,
    folder: Path,
    meta: Mapping[str, object] | None = None,
    what: str = "entry",
    required: Iterable[str] = (),
    check: Callable[[Entry], None] | None = None,
) -> Entry:
    """Record the files in ``work`` and rename it into place as the entry ``folder``.

    When a good entry is already there (another render made it first), it is kept and
    ``work`` removed; a damaged one is removed (with a warning) and replaced.
    """
    import json

    files = {
        p.name: file_record(p)
        for p in sorted(work.iterdir())
        if p.name != RECORD and not p.name.startswith(".")
    }
    doc = {
        "format": RECORD_FORMAT,
        "files": {n: {"size": r.size, "sha256": r.sha256} for n, r in files.items()},
        "meta": dict(meta or {}),
    }
    try:
        (work / RECORD).write_text(json.dumps(doc, allow_nan=False), encoding="utf-8")
        for attempt in range(2):
            try:
                os.rename(work, folder)
                return Entry(folder, files, dict(meta or {}))
            except OSError as err:
                if err.errno not in (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR) or attempt:
                    raise
                found = open_entry(folder, required, what, check)
                if found is not None:
                    shutil.rmtree(work, ignore_errors=True)
                    return found
                remove(folder)
    except OSError as err:
        shutil.rmtree(work, ignore_errors=True)
        raise CacheError(
            f"cannot write the cache folder {printable(str(folder.parent))}: {reason(err)}"
        ) from None
    raise AssertionError("unreachable")  # pragma: no cover


def read_verified(entry: Entry, name: str) -> bytes:
    """The bytes of the entry's file ``name``, never beyond its recorded size.

    Raises
    ------
    Damaged
        When the file changed since it was recorded.
    """
    chunks: list[bytes] = []
    _stream(entry.path(name), entry.files[name], chunks.append)
    return b"".join(chunks)


def copy_verified(entry: Entry, name: str, target: Path) -> None:
    """Copy the entry's file ``name`` to the new file ``target`` (bounded by the recorded
    size, checked against the recorded digest); on a difference ``target`` is removed and
    :class:`Damaged` raised, so nothing foreign is ever put in place."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(target, flags, 0o666)
    try:
        with os.fdopen(fd, "wb") as out:
            _stream(entry.path(name), entry.files[name], out.write)
    except BaseException:
        Path(target).unlink(missing_ok=True)
        raise


def touch(folder: Path) -> None:
    """Mark an entry as just used (the cache forgets the least recently used first)."""
    with contextlib.suppress(OSError):
        os.utime(folder, follow_symlinks=False)


@dataclass(frozen=True)
class Usage:
    """What one kind of entry takes in the cache."""

    kind: str
    entries: int
    size: int


def _entries(root: Path) -> list[tuple[str, Path]]:
    """(kind, path) of every entry (or stray file) in the cache's own subfolders."""
    found: list[tuple[str, Path]] = []
    parts = root / "parts"
    with contextlib.suppress(OSError):
        for path in parts.iterdir():
            if not path.name.startswith("."):
                kind = "joined videos" if path.name.startswith("joined-") else "parts"
                found.append((kind, path))
    with contextlib.suppress(OSError):
        for path in (root / "documents").iterdir():
            if not path.name.startswith("."):
                found.append(("documents", path))
    with contextlib.suppress(OSError):
        for voice in (root / "voice").iterdir():
            if voice.is_dir() and not voice.is_symlink():
                found.extend(("voice", p) for p in voice.iterdir() if not p.name.startswith("."))
    return found


def _size(path: Path) -> int:
    try:
        info = os.lstat(path)
    except OSError:
        return 0
    if not stat.S_ISDIR(info.st_mode):
        return info.st_size
    total = 0
    with contextlib.suppress(OSError):
        for child in path.iterdir():
            with contextlib.suppress(OSError):
                total += os.lstat(child).st_size
    return total


def usage(root: Path | None = None) -> list[Usage]:
    """Entries and bytes of each kind in the cache."""
    root = Path(root) if root is not None else cache_root()
    kinds = ("voice", "parts", "joined videos", "documents")
    totals: dict[str, list[int]] = {k: [0, 0] for k in kinds}
    for kind, path in _entries(root):
        totals[kind][0] += 1
        totals[kind][1] += _size(path)
    return [Usage(kind, count, size) for kind, (count, size) in totals.items()]


def prune(root: Path | None = None, keep: Iterable[Path] = (), limit: int | None = None) -> int:
    """Remove the least recently used entries until the cache holds at most ``limit``
    bytes (default :func:`cache_limit`), never one in ``keep``; return how many went."""
    root = Path(root) if root is not None else cache_root()
    limit = cache_limit() if limit is None else limit
    kept = {os.path.abspath(p) for p in keep}
    listed = []
    for _, path in _entries(root):
        with contextlib.suppress(OSError):
            listed.append((os.lstat(path).st_mtime, _size(path), path))
    total = sum(size for _, size, _ in listed)
    removed = 0
    for _, size, path in sorted(listed, key=lambda item: (item[0], str(item[2]))):
        if total <= limit:
            break
        if os.path.abspath(path) in kept:
            continue
        with contextlib.suppress(CacheError):
            remove(path)
            total -= size
            removed += 1
    return removed


def clear(root: Path | None = None) -> tuple[int, int]:
    """Remove every entry (only the cache's own subfolders); return (entries, bytes)."""
    root = Path(root) if root is not None else cache_root()
    found = _entries(root)
    size = sum(_size(path) for _, path in found)
    for kind in KINDS:
        remove(root / kind)
    return len(found), size


def finite_seconds(value: object, most: float) -> float:
    """``value`` as seconds, if it is a finite number from 0 to ``most``; else ValueError."""
    if type(value) not in (int, float) or not math.isfinite(value) or not 0 <= value <= most:
        raise ValueError(f"a duration of {value!r} seconds")
    return float(value)


def human_size(size: int) -> str:
    """Bytes for people: ``1.5 MiB``.

    >>> human_size(3 * 1024**3)
    '3.0 GiB'
    """
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size} GiB"  # pragma: no cover


def info_text(root: Path | None = None) -> str:
    """``explainer cache info``: the folder, what each kind of entry takes, the cap."""
    root = Path(root) if root is not None else cache_root()
    lines = [f"cache folder: {printable(str(root))}"]
    total = 0
    for item in usage(root):
        plural = "entry" if item.entries == 1 else "entries"
        lines.append(f"  {item.kind:<14} {item.entries:>5} {plural:<8} {human_size(item.size)}")
        total += item.size
    limit = cache_limit()
    lines.append(
        f"total {human_size(total)} of at most {human_size(limit)}; beyond it the least "
        "recently used entries are removed"
    )
    return "\n".join(lines) + "\n"
