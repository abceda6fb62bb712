"""Temporary names beside a target, and the removal of those a killed run left behind.

A file or folder is written under ``.<name>.<pid>-<host>-<random>.ecrcost.tmp`` in the target's folder
(the same file system, so the final rename is atomic) and renamed into place. The writer holds an
``flock`` on a temporary file while it writes. A later write to the same target removes the leftovers
whose writer is gone: same host, process id no longer running, and (files) no lock held. The process
check covers the instant between creating a file and locking it; the lock covers a process id that a
container's own pid namespace reuses. Anything of another host (a shared network folder) is left alone.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import socket
import stat
import tempfile
from pathlib import Path

SUFFIX = ".ecrcost.tmp"
# File names are at most 255 bytes: a long target name is cut in the temporary name (and in the pattern
# that finds it again, so cleanup still matches).
_STEM = 100
_HOST = re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:32] or "host"


def _stem(name: str) -> str:
    return name[:_STEM]


def prefix(name: str) -> str:
    """The start of this process's temporary names for the target ``name``."""
    return f".{_stem(name)}.{os.getpid()}-{_HOST}-"


def new_file(folder: Path, name: str) -> tuple[int, Path]:
    """A locked, empty temporary file for ``name`` in ``folder``: (descriptor, path)."""
    fd, tmp = tempfile.mkstemp(prefix=prefix(name), suffix=SUFFIX, dir=folder)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        Path(tmp).unlink(missing_ok=True)
        raise
    return fd, Path(tmp)


def new_folder(folder: Path, name: str) -> Path:
    """An empty temporary folder for ``name`` in ``folder``, with the permissions the folder it
    replaces has, else what ``mkdir`` would give (mkdtemp's 0700 is for the temporary name only)."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix(name), suffix=SUFFIX, dir=folder))
    try:
        mode = stat.S_IMODE((folder / name).stat().st_mode) & 0o777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        mode = 0o777 & ~mask
    os.chmod(tmp, mode)
    return tmp


def leftovers(folder: Path, name: str) -> list[Path]:
    """Temporary files and folders for ``name`` whose writer is gone."""
    pattern = re.compile(rf"\.{re.escape(_stem(name))}\.(\d+)-([A-Za-z0-9]+)-[a-z0-9_]+{re.escape(SUFFIX)}")
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    found = []
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match and match.group(2) == _HOST and not _running(int(match.group(1))):
            path = Path(entry.path)
            if entry.is_dir(follow_symlinks=False) or not _locked(path):
                found.append(path)
    return found


def clean(folder: Path, name: str) -> None:
    """Remove the leftovers of killed runs for ``name`` (best effort: what cannot be removed stays)."""
    for path in leftovers(folder, name):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                path.unlink()


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it runs, as another user
        return True
    return True


def _locked(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return True  # cannot look: not ours to remove
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


def sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (best effort: some file systems cannot sync a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
