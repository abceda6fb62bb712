"""Writing results where a shell redirect would, without its hazards.

- ``-``: standard output.
- Not a regular file (a device such as ``/dev/null``, a FIFO, ``/dev/stdout`` and other links into
  ``/proc/*/fd``): opened and written straight through, as ``>`` does; nothing is replaced.
- A symbolic link: followed (a chain too); the file it names is what gets replaced.
- A regular file, or nothing yet: written to a temporary file beside it (see :mod:`.temps`), flushed to
  disk, then renamed over it — a failed or killed run never leaves a half-written file. An existing
  file keeps its permission bits and, where allowed, its owner and group; one the shell could not open
  for writing (read-only, in use as a program) is refused rather than replaced.
- Following the kernel's ``protected_symlinks`` / ``protected_regular`` rules (the default on most
  distributions) whatever the host's setting: a link, or a file owned by someone else, in a
  world-writable sticky folder such as ``/tmp`` is refused unless it is ours or the folder owner's.

Any OS error is one line naming the file (exit 2 when the target cannot take it, 1 for disk full and
I/O errors), with the earlier file intact.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from ..core.errors import InputError
from . import temps
from .failures import output_failure

STDOUT = "-"
_MAX_LINKS = 40  # what the kernel follows before ELOOP
Chunk = bytes | bytearray | memoryview


@dataclass(frozen=True)
class Target:
    """Where the bytes go: ``path`` (a link's final target), its ``stat`` (None: nothing there yet),
    and whether it is written straight through (not a regular file)."""

    path: str
    stat: os.stat_result | None
    through: bool


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` (``-`` = stdout) as described in this module's docstring."""
    write_chunks(path, [data.encode("utf-8") if isinstance(data, str) else data])


def write_chunks(path: str | Path, chunks: Iterable[Chunk]) -> None:
    """Write ``chunks`` one after the other, as :func:`write_atomic` writes one (a result of hundreds
    of MB is never one string): a file appears only when the last chunk is written."""
    with opened(path) as sink:
        for chunk in chunks:
            sink.write(chunk)


def write_stdout(data: str | bytes) -> None:
    """``data`` on standard output, flushed: a closed pipe or a full disk is one line, not a traceback
    at exit."""
    write_chunks(STDOUT, [data.encode("utf-8") if isinstance(data, str) else data])


class Sink:
    """Where the bytes go while a result is written: :meth:`write` takes all of its bytes, and
    :meth:`tell` counts them (what pyarrow's writers need of a file)."""

    closed = False

    def __init__(self, put: Callable[[memoryview], None]) -> None:
        self._put = put
        self._written = 0

    def write(self, data: Chunk) -> int:
        view = memoryview(data).cast("B")
        self._put(view)
        self._written += len(view)
        return len(view)

    def tell(self) -> int:
        return self._written

    def flush(self) -> None:
        pass


@contextmanager
def opened(path: str | Path) -> Iterator[Sink]:
    """A :class:`Sink` for ``path`` (``-`` = stdout), written as this module's docstring says: a
    regular file is replaced only when the block ends without an error (nothing is left behind)."""
    if str(path) == STDOUT:
        with _stdout() as sink:
            yield sink
        return
    target = resolve(path)
    try:
        if target.through:
            with _write_through(target.path) as sink:
                yield sink
        else:
            with _replace(target) as sink:
                yield sink
    except OSError as exc:
        raise output_failure(exc, path, kept=target.stat is not None and not target.through) from None


@contextmanager
def _stdout() -> Iterator[Sink]:
    """Standard output, flushed at the end: a closed pipe or a full disk is one line, not a traceback
    at exit."""
    try:
        sys.stdout.flush()  # what was printed before comes first
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is None:
            yield Sink(_write_text)
            sys.stdout.flush()
        else:
            yield Sink(buffer.write)
            buffer.flush()
    except OSError as exc:
        _silence_stdout()
        raise output_failure(exc, "stdout", kept=False) from None


def resolve(path: str | Path) -> Target:
    """Follow ``path`` the way ``open()`` would, stopping at the first thing that is not a link."""
    shown = path
    current = os.fspath(path)
    if current.endswith(os.sep):  # 'out/' names a folder, even one that does not exist yet
        raise InputError("names a folder: --output needs a file name", file=shown)
    for _ in range(_MAX_LINKS):
        try:
            st = os.lstat(current)
        except FileNotFoundError:
            return Target(current, None, False)
        except OSError as exc:
            raise output_failure(exc, shown, kept=False) from None
        if stat.S_ISLNK(st.st_mode):
            if _in_proc(current):  # /dev/stdout, /dev/fd/N: the kernel's own links to open files
                return Target(current, st, True)
            _check_shared_folder(current, st, shown, "a link")
            current = os.path.join(os.path.dirname(current), os.readlink(current))
            continue
        if stat.S_ISDIR(st.st_mode):
            raise InputError("is a folder: --output needs a file name", file=shown)
        if stat.S_ISREG(st.st_mode):
            _check_shared_folder(current, st, shown, "a file")
            return Target(current, st, False)
        return Target(current, st, True)
    raise InputError("too many levels of symbolic links", file=shown)


@contextmanager
def _replace(target: Target) -> Iterator[Sink]:
    folder = Path(os.path.dirname(target.path) or ".")
    name = os.path.basename(target.path)
    if target.stat is None:
        folder.mkdir(parents=True, exist_ok=True)
    else:
        # What '>' would refuse (a read-only file, a running program) we refuse too: no O_TRUNC, so
        # this open changes nothing.
        os.close(os.open(target.path, os.O_WRONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC))
    temps.clean(folder, name)
    fd, tmp = temps.new_file(folder, name)
    try:
        _set_owner_and_mode(fd, target.stat)
        yield Sink(partial(_write_all, fd))
        os.fsync(fd)  # a full disk or quota on a delayed-allocation file system shows here, not later
        os.replace(tmp, target.path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        os.close(fd)
    temps.sync_folder(folder)


@contextmanager
def _write_through(path: str) -> Iterator[Sink]:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOCTTY | os.O_CLOEXEC, 0o666)
    try:
        yield Sink(partial(_write_all, fd))
    finally:
        os.close(fd)


def _write_text(view: memoryview) -> None:
    sys.stdout.write(bytes(view).decode("utf-8"))


def _write_all(fd: int, view: memoryview) -> None:
    while view:
        view = view[os.write(fd, view) :]


def _set_owner_and_mode(fd: int, old: os.stat_result | None) -> None:
    if old is None:
        os.fchmod(fd, 0o666 & ~_umask())  # what open() would give: mkstemp's 0600 is for the temporary name
        return
    mine = os.fstat(fd)
    if (old.st_uid, old.st_gid) != (mine.st_uid, mine.st_gid):
        try:
            os.fchown(fd, old.st_uid, old.st_gid)  # root (or the same owner) keeps both
        except PermissionError:
            # A member of the group keeps the group; else the file becomes ours, as an editor's save.
            with contextlib.suppress(PermissionError):
                os.fchown(fd, -1, old.st_gid)
    # Permission bits only: set-user/group-id never carries over to a file we wrote.
    os.fchmod(fd, stat.S_IMODE(old.st_mode) & 0o777)


def _check_shared_folder(path: str, st: os.stat_result, shown: str | Path, what: str) -> None:
    """protected_symlinks / protected_regular: in a world-writable sticky folder, follow a link or
    replace a file only when it is ours or the folder owner's (else another user chose where we write)."""
    try:
        folder = os.stat(os.path.dirname(path) or ".")
    except OSError:
        return
    shared = folder.st_mode & stat.S_ISVTX and folder.st_mode & stat.S_IWOTH
    if shared and st.st_uid not in (os.geteuid(), folder.st_uid):
        raise InputError(
            f"refusing to write through {what} owned by uid {st.st_uid} in a shared sticky folder "
            "(another user could point it anywhere): remove it or choose another name",
            file=shown,
        )


def _in_proc(path: str) -> bool:
    real = os.path.realpath(os.path.dirname(path) or ".")
    return real == "/proc" or real.startswith("/proc/")


def _silence_stdout() -> None:
    """After a failed write to stdout, point it at /dev/null so the interpreter's last flush does not
    print a second error."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):
        pass


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
