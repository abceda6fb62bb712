"""An operating-system error while writing an output, as one line with the right exit code.

The target the user chose cannot take the output (permission, read-only file system, a folder, a mount
point, no such folder): :class:`InputError`, exit 2. The system failed a valid target (disk full, quota,
I/O error, a reader that went away): :class:`OutputError`, exit 1.
"""

from __future__ import annotations

import errno
import os
import re
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
    code = exc.errno
    if code is None:  # pyarrow's OSError may carry the number only in its text: "... [errno 28] ..."
        found = re.search(r"\[errno (\d+)\]", str(exc))
        code = int(found.group(1)) if found else None
    # The system's short words ("No space left on device"), not a library's long sentence.
    reason = os.strerror(code) if code else exc.strerror or str(exc) or type(exc).__name__
    if code in _HINTS:
        reason += f": {_HINTS[code]}"
    message = f"cannot write ({reason})"
    if kept:
        message += "; the existing one is unchanged"
    kind = InputError if code in _CHOSEN else OutputError
    return kind(message, file=target)
