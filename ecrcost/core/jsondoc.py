"""Reading the small JSON files a user hands us (a price book, a lifecycle policy, collect's
``collection.json``): every failure is one :class:`InputError` naming the file, and the line where
the JSON parser can tell it.

What they share: a UTF-8 byte-order mark is accepted (as in the CSV readers: spreadsheet tools and
Windows editors write one); UTF-16 and UTF-32 are named as such; nesting deeper than any real file
of ours (``MAX_DEPTH``) is refused before any code walks it, so nothing downstream recurses into a
hostile document; integers too long for Python to read are an error, not a crash.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .errors import InputError

# The price book's tiers sit 5 levels down; 20 leaves room for what people write and stops
# documents built to exhaust the recursion limit.
MAX_DEPTH = 20

# Byte-order marks of encodings that are not UTF-8, longest first (UTF-32 LE starts like UTF-16 LE).
_BOMS = [
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
]


def decode(data: bytes, file: str | Path) -> str:
    """``data`` as UTF-8 text, without a leading byte-order mark."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            raise InputError(f"{name} text: save it as UTF-8", file=file)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        byte = data[exc.start]
        raise InputError(
            f"not UTF-8 text (byte 0x{byte:02x}): save it as UTF-8", file=file, row=line
        ) from None


def read_bytes(path: Path) -> bytes:
    """The bytes of ``path``; a missing file, a folder, a broken link or a read error is one line."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        if path.is_symlink():
            raise InputError("broken symbolic link: its target does not exist", file=path) from None
        raise InputError("file not found", file=path) from None
    except IsADirectoryError:
        raise InputError("is a folder, not a file", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror or exc})", file=path) from None


def parse(text: str, file: str | Path, what: str) -> Any:
    """``text`` parsed as JSON; ``what`` (``a price book``) says what the file should have been."""
    deep = f"JSON nested more than {MAX_DEPTH} levels deep"
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON ({exc.msg}, column {exc.colno}): expected {what}", file=file, row=exc.lineno
        ) from None
    except RecursionError:  # nested past the parser's own limit: a scan of the text says where
        raise InputError(f"{deep}: expected {what}", file=file, row=_deep_line(text)) from None
    except ValueError:  # an integer of thousands of digits (Python's int_max_str_digits)
        raise InputError(f"a number with too many digits to read: expected {what}", file=file) from None
    where = _too_deep(doc)
    if where is not None:
        raise InputError(f"{deep} (at {where}): expected {what}", file=file)
    return doc


def read(path: Path, what: str) -> Any:
    """The JSON document in the file ``path``."""
    return parse(decode(read_bytes(path), path), path, what)


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_NOT_STRUCTURE = re.compile(r"[^\[\]{}\n]+")


def _deep_line(text: str) -> int | None:
    """The line where ``text`` first nests deeper than ``MAX_DEPTH``: a scan of the brackets outside
    strings (JSON strings hold no raw line breaks, so the lines survive), no recursion."""
    depth, line = 0, 1
    for ch in _NOT_STRUCTURE.sub("", _STRING.sub("", text)):
        if ch == "\n":
            line += 1
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return line
        else:
            depth -= 1
    return None


# A key path as links (key, parent), innermost first; None at the top.
_Trail = tuple[Any, "_Trail"] | None


def _too_deep(doc: Any) -> str | None:
    """Where ``doc`` first goes deeper than ``MAX_DEPTH`` (a short key path), or None. Iterative: a
    document just under the parser's own limit must not exhaust the stack here either. The path is
    kept as links and spelled out only when it is needed."""
    containers = (dict, list)
    stack: list[tuple[Any, int, _Trail]] = [(doc, 0, None)] if isinstance(doc, containers) else []
    while stack:
        node, depth, trail = stack.pop()
        if depth >= MAX_DEPTH:
            return _spell(trail)
        items = node.items() if isinstance(node, dict) else enumerate(node)
        # Only containers are pushed: a document of many flat objects costs one pass over its values.
        stack.extend(
            (child, depth + 1, (key, trail)) for key, child in items if isinstance(child, containers)
        )
    return None


def _spell(trail: _Trail, width: int = 60) -> str:
    keys = []
    while trail is not None:
        key, trail = trail
        keys.append(f"[{key}]" if isinstance(key, int) else f".{key}")
    where = "".join(reversed(keys)).removeprefix(".") or "the top"
    return where if len(where) <= width else where[: width - 1] + "…"
