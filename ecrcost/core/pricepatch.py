"""The shape of a ``--prices`` file, checked before it is merged into the bundled book: a key the book
does not know is an error naming its path and the nearest known name (``regions.us-east-1.storag``:
did you mean ``storage``?), never a patch that silently changes nothing.

The known names come from the bundled book itself (its top-level keys, its items per kind of
section) and from what the registered charges need, so a new item in ``pricebook.json`` is
accepted here without a second list to keep in step.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .errors import InputError

SECTION_META = ("name", "billing_code", "billing_region")  # section keys that are not priced items
ITEM_KEYS = ("value", "tiers", "pairs", "unit", "source", "as_of", "confidence", "usage_type", "provenance")
REF_KEYS = ("offer", "sku", "usage_type", "rate_code", "version", "publication_date", "fetched", "to")
BOOK_KEYS = ("version", "date", "published", "hash", "regions_refreshed", "kept", "unrecognised")
TIER_KEYS = ("up_to_gb", "usd_per_gb")
SOURCE_KEYS = ("title", "url", "as_of", "confidence")
TEXT_KEYS = {
    "name",
    "billing_code",
    "billing_region",
    "unit",
    "source",
    "as_of",
    "confidence",
    "title",
    "url",
    "usage_type",
}


def check_patch(
    patch: Mapping[str, Any], bundled: Mapping[str, Any], needs: Mapping[str, Iterable[str]], file: Path
) -> None:
    """Raise an :class:`InputError` naming ``file`` and the key path of the first thing in ``patch``
    that the book does not know or that has the wrong type."""
    check = _Checker(file)
    region_items = _items(bundled["regions"].values(), needs.get("region", ()))
    public_items = _items([bundled["public"]], needs.get("public", ()))
    for key, value in patch.items():
        check.known("", key, bundled.keys())
        if key in ("currency", "schema_version") and value != bundled[key]:
            raise check.fail(key, f"must be {json.dumps(bundled[key])}, the only one this version reads")
        if key == "sources":
            for name, source in check.obj(key, value).items():
                for field, text in check.obj(_join(key, name), source).items():
                    check.known(_join(key, name), field, SOURCE_KEYS)
                    check.text(_join(key, name, field), text)
        elif key == "regions":
            for code, section in check.obj(key, value).items():
                check.section(_join(key, code), section, region_items)
                missing = [n for n in needs.get("region", ()) if n not in section]
                hint = nearest(code, bundled["regions"])
                if code not in bundled["regions"] and missing and hint:
                    raise check.fail(
                        _join(key, code), f"not a region of the book{hint}; a new region needs every item"
                    )
        elif key == "public":
            check.section(key, value, public_items)
        elif key == "book":
            for field in check.obj(key, value):
                check.known(key, field, BOOK_KEYS)


class _Checker:
    def __init__(self, file: Path) -> None:
        self.file = file

    def fail(self, where: str, message: str) -> InputError:
        return InputError(f"{where}: {message}", file=self.file)

    def known(self, where: str, key: str, allowed: Iterable[str]) -> None:
        allowed = list(allowed)
        if key not in allowed:
            hint = nearest(key, allowed) or f" (known: {', '.join(sorted(allowed))})"
            raise self.fail(_join(where, key), f"unknown key{hint}")

    def obj(self, where: str, value: Any) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"must be a JSON object, not {_kind(value)}")
        return value

    def text(self, where: str, value: Any) -> None:
        if not isinstance(value, str):
            raise self.fail(where, f"must be text, not {_kind(value)}")

    def section(self, where: str, section: Any, items: list[str]) -> None:
        for name, item in self.obj(where, section).items():
            self.known(where, name, [*SECTION_META, *items])
            here = _join(where, name)
            if name in SECTION_META:
                self.text(here, item)
                continue
            for field, value in self.obj(here, item).items():
                self.known(here, field, ITEM_KEYS)
                if field in TEXT_KEYS:
                    self.text(_join(here, field), value)
                elif field == "pairs":
                    self.obj(_join(here, field), value)
                elif field == "provenance":
                    if not isinstance(value, list):
                        raise self.fail(_join(here, field), f"must be a JSON list, not {_kind(value)}")
                    for i, ref in enumerate(value):
                        for key, text in self.obj(f"{here}.provenance[{i}]", ref).items():
                            self.known(f"{here}.provenance[{i}]", key, REF_KEYS)
                            self.text(f"{here}.provenance[{i}].{key}", text)
                elif field == "tiers":
                    if not isinstance(value, list):
                        raise self.fail(
                            _join(here, field), f"must be a JSON list of tiers, not {_kind(value)}"
                        )
                    for i, tier in enumerate(value):
                        for key in self.obj(f"{here}.tiers[{i}]", tier):
                            self.known(f"{here}.tiers[{i}]", key, TIER_KEYS)


def _items(sections: Iterable[Mapping[str, Any]], needed: Iterable[str]) -> list[str]:
    names = dict.fromkeys(needed)
    for section in sections:
        names.update(dict.fromkeys(k for k in section if k not in SECTION_META))
    return list(names)


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}.get(
        type(value), "a number"
    )


def _join(*parts: str) -> str:
    return ".".join(p for p in parts if p)


def nearest(name: str, names: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` when a known name is a few edits from ``name`` (a swap of two
    neighbours is one edit: ``us-esat-1`` is ``us-east-1``, not ``us-west-1``), else nothing."""
    scored = sorted(
        (_edits(name.lower(), n.lower()), -difflib.SequenceMatcher(None, name, n).ratio(), n) for n in names
    )
    if not scored or (scored[0][0] > max(2, len(name) // 3) and -scored[0][1] < 0.75):
        return ""
    return f" (did you mean '{scored[0][2]}'?)"


def _edits(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps."""
    previous, current = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        before, previous, current = previous, current, [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                assert before is not None
                current[j] = min(current[j], before[j - 2] + 1)
    return current[len(b)]
