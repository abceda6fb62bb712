"""An operating-system error while writing an output, as one line with the right exit code.

The target the user chose cannot take the output (permission, read-only file system, a folder, a mount
point, no such folder): :class:`InputError`, exit 2. The system failed a valid target (disk full, quota,
I/O error, a reader that went away): :class:`OutputError`, exit 1.
"""

from __future__ import annotations

import errno
from pathlib import Path

from ..core.errors import InputError, OutputError

# Errors that depend on where the user asked to write; anything else is the system's.
_CHOSEN = {
    errno.EACCES,
    errno.EPERM,
    errno.EROFS,
    errno.ENOENT,
    errno.ENOTDIR,
    errno.EISDIR,
    errno.ENAMETOOLONG,
    errno.ELOOP,
    errno.EBUSY,
    errno.ETXTBSY,
    errno.EEXIST,
    errno.ENXIO,
    errno.ENOTEMPTY,
    errno.EXDEV,
}
_HINTS = {
    errno.EBUSY: "it is a mount point, which cannot be replaced: write to stdout with '-o -' and "
    "redirect that instead",
    errno.EPIPE: "the reader closed it",
}


def output_failure(exc: OSError, target: str | Path, kept: bool) -> InputError:
    """``exc`` (raised while writing ``target``) as a one-line error; ``kept``: an earlier file or
    folder there is still intact, and the message says so."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.errno in _HINTS:
        reason += f": {_HINTS[exc.errno]}"
    message = f"cannot write ({reason})"
    if kept:
        message += "; the existing one is unchanged"
    kind = InputError if exc.errno in _CHOSEN else OutputError
    return kind(message, file=target)
