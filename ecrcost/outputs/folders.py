"""Replacing a whole folder (an inventory) so that its name always holds a complete one, old or new.

The new folder is written under a temporary name beside the target (:mod:`.temps`), then swapped in:

- Linux (kernel 3.15+; ext4, xfs, btrfs, tmpfs and most local file systems): ``renameat2`` with
  ``RENAME_EXCHANGE`` swaps the two names in one atomic step; the old tree, now under the temporary
  name, is then removed. A reader sees the old folder or the new one, never neither, and a kill at any
  point leaves a complete folder under the name (the next run removes the leftover).
- Elsewhere (macOS, BSD, NFS and the file systems that answer ``EINVAL``): two renames, old → ``.NAME
  .ecrcost-old`` then new → NAME. For an instant the name is missing; a kill in that instant leaves
  the previous folder as ``.NAME.ecrcost-old``, which the next run (under the lock) renames back.

Writers take an exclusive ``flock`` on ``.NAME.ecrcost.lock`` beside the target for the whole run; a
second writer fails at once with one line naming the holder rather than wait. The lock file is removed
on release (the holder re-checks, after locking, that the file it locked is still the one under that
name, so a removal never lets two writers in).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import platform
import shutil
import socket
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from ..core.errors import InputError
from . import temps
from .failures import output_failure

AT_FDCWD = -100
RENAME_EXCHANGE = 2
# renameat2 syscall numbers, for a C library without the wrapper (glibc < 2.28, some musl builds).
_SYSCALLS = {"x86_64": 316, "aarch64": 276, "arm64": 276, "riscv64": 276}
# The file system or kernel cannot exchange: take the fallback.
_UNSUPPORTED = {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP}

_Rename2 = Callable[[int, bytes, int, bytes, int], int]


def _load_renameat2() -> _Rename2 | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    with contextlib.suppress(AttributeError):
        fn = libc.renameat2
        fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
        fn.restype = ctypes.c_int
        return fn
    number = _SYSCALLS.get(platform.machine())
    if number is None:
        return None
    syscall = libc.syscall
    syscall.restype = ctypes.c_long

    def raw(olddir: int, old: bytes, newdir: int, new: bytes, flags: int) -> int:
        return int(
            syscall(
                ctypes.c_long(number),
                ctypes.c_int(olddir),
                ctypes.c_char_p(old),
                ctypes.c_int(newdir),
                ctypes.c_char_p(new),
                ctypes.c_uint(flags),
            )
        )

    return raw


_RENAMEAT2 = _load_renameat2()


def exchange(a: Path, b: Path) -> bool:
    """Swap the names ``a`` and ``b`` atomically; False (nothing changed) where this system or file
    system cannot."""
    if _RENAMEAT2 is None:
        return False
    if _RENAMEAT2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in _UNSUPPORTED:
        return False
    raise OSError(code, os.strerror(code), str(b))


def is_mount_point(folder: Path) -> bool:
    """Whether ``folder`` is a mount point (a container's bind mount, say), which no rename can
    replace. ``os.path.ismount`` misses a bind mount from the same file system: Linux lists them all
    in /proc/self/mountinfo."""
    if os.path.ismount(folder):
        return True
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return False
    real = os.path.realpath(folder)
    # The fifth field is the mount point, with space, tab, newline and backslash as octal escapes.
    points = {_unescape(line.split(" ")[4]) for line in lines if line.count(" ") >= 4}
    return real in points


def _unescape(field: str) -> str:
    for code in ("040", "011", "012", "134"):
        field = field.replace("\\" + code, chr(int(code, 8)))
    return field


def old_name(folder: Path) -> Path:
    """Where the fallback swap parks the previous folder for an instant."""
    return folder.with_name(f".{folder.name}.ecrcost-old")


def swap_in(new: Path, folder: Path) -> None:
    """Put the complete folder ``new`` (a temporary name beside ``folder``) in place of ``folder``,
    then remove the previous tree. Call while holding :func:`locked` for ``folder``."""
    if not folder.exists() and not folder.is_symlink():
        new.rename(folder)
    elif exchange(new, folder):
        shutil.rmtree(new, ignore_errors=True)  # ``new`` now names the previous tree
    else:
        old = old_name(folder)
        folder.rename(old)
        try:
            new.rename(folder)
        except BaseException:
            old.rename(folder)
            raise
        shutil.rmtree(old, ignore_errors=True)
    temps.sync_folder(folder.parent)


def recover(folder: Path) -> None:
    """Undo what a killed writer left: a fallback swap cut between its renames (the previous folder
    goes back) and temporary folders (removed). Call while holding :func:`locked`."""
    old = old_name(folder)
    if old.is_dir() and not old.is_symlink():
        if folder.exists() or folder.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:
            try:
                old.rename(folder)
            except OSError as exc:
                raise output_failure(exc, folder, kept=False) from None
    temps.clean(folder.parent, folder.name)


@contextlib.contextmanager
def locked(folder: Path, what: str = "collect") -> Iterator[None]:
    """Hold the exclusive lock of ``folder`` (creating its parent folders); fail at once with one line
    when another process holds it, or the folder's place cannot be written."""
    path = folder.with_name(f".{folder.name}.ecrcost.lock")
    try:
        fd = _lock(folder, path, what)
    except OSError as exc:
        raise output_failure(exc, folder, kept=folder.is_dir()) from None
    try:
        with contextlib.suppress(OSError):  # who holds it, for the message a second writer shows
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{what} pid {os.getpid()} on {socket.gethostname()} since {stamp}".encode(), 0)
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)


def _lock(folder: Path, path: Path, what: str) -> int:
    folder.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            os.close(fd)
            raise InputError(
                f"another {what} is writing this folder ({holder}): wait for it to finish, "
                "or write elsewhere",
                file=folder,
            ) from None
        except BaseException:
            os.close(fd)
            raise
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path, follow_symlinks=False))
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)  # the holder removed it as we opened it: lock the new one
