"""``collection.json``, the summary ``collect`` writes beside an inventory: the month it was taken,
what could not be read (coverage gaps) and how transfer was estimated. Checked before use, so a
hand-edited or foreign file is one line naming it and the key at fault, never a crash."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core import jsondoc
from ..core.errors import InputError
from ..core.period import Month

NAME = "collection.json"
_SCALAR = (str, int, float, type(None))
_GAP_KEYS = ("account_id", "region", "repository", "image_digest")
Fail = Callable[[str, str], InputError]


@dataclass(frozen=True)
class Summary:
    path: Path
    month: str | None = None
    gaps: tuple[dict[str, Any], ...] = ()
    transfer: dict[str, Any] = field(default_factory=dict)
    # per registry collect read: account_id, region, blob_mounting (ENABLED / DISABLED / unknown)
    registries: tuple[dict[str, str], ...] = ()
    # what ``ecrcost pulls`` read from CloudTrail (its coverage): the ``pulls`` section
    trail: dict[str, Any] = field(default_factory=dict)

    def notes(self) -> tuple[str, ...]:
        """What a reader of the totals must know: partial coverage, estimated transfer."""
        notes = []
        if self.gaps:
            shown = "; ".join(_gap_label(g) for g in self.gaps[:5])
            more = f" and {len(self.gaps) - 5} more" if len(self.gaps) > 5 else ""
            count = len(self.gaps)
            notes.append(
                f"Partial coverage: {count} item(s) could not be read ({shown}{more}); see {self.path}."
            )
        if self.trail:
            notes.extend(_trail_notes(self.trail, self.path))
        if self.transfer and not str(self.transfer.get("basis", "")).startswith("cloudtrail"):
            t = self.transfer
            notes.append(
                f"Transfer is an estimate from pull counts: bytes per pull {t.get('bytes_per_pull')}, "
                f"internet share {t.get('internet_share')}, cross-region share {t.get('cross_region_share')}."
            )
        return tuple(notes)


def read_summary(folder: Path) -> Summary | None:
    """The folder's ``collection.json``, or None when there is none."""
    path = folder / NAME
    if not path.exists() and not path.is_symlink():
        return None
    doc = jsondoc.read(path, "a collection summary (the collection.json that collect writes)")

    def fail(where: str, message: str) -> InputError:
        return InputError(f"{where}: {message}", file=path)

    if not isinstance(doc, dict):
        raise InputError("not a collection summary: expected a JSON object", file=path)
    month = doc.get("month")
    if month is not None:
        if not isinstance(month, str):
            raise fail("month", "must be text YYYY-MM")
        try:
            Month.parse(month)
        except InputError as exc:
            raise fail("month", exc.message) from None
    coverage = doc.get("coverage", {})
    if not isinstance(coverage, dict):
        raise fail("coverage", "must be a JSON object")
    gaps = coverage.get("gaps", [])
    if not isinstance(gaps, list):
        raise fail("coverage.gaps", "must be a JSON list of objects")
    for i, gap in enumerate(gaps):
        _flat(gap, f"coverage.gaps[{i}]", fail)
    transfer = doc.get("transfer", {})
    _flat(transfer, "transfer", fail)
    registries = doc.get("registries", [])
    if not isinstance(registries, list):
        raise fail("registries", "must be a JSON list of objects")
    found = []
    for i, registry in enumerate(registries):
        where = f"registries[{i}]"
        if not isinstance(registry, dict):
            raise fail(where, "must be a JSON object")
        for key in ("account_id", "region"):
            if not isinstance(registry.get(key), str):
                raise fail(f"{where}.{key}", "must be text")
        setting = registry.get("blob_mounting", "unknown")
        if not isinstance(setting, str):
            raise fail(f"{where}.blob_mounting", "must be text (ENABLED, DISABLED or unknown)")
        found.append(
            {"account_id": registry["account_id"], "region": registry["region"], "blob_mounting": setting}
        )
    trail = doc.get("pulls", {})
    if not isinstance(trail, dict):
        raise fail("pulls", "must be a JSON object")
    for key in ("month", "trail", "bytes", "unclassified_bytes", "unknown_layer_events"):
        if key in trail and not isinstance(trail[key], _SCALAR):
            raise fail(f"pulls.{key}", "must be text or a number")
    trail_coverage = trail.get("coverage", {})
    if not isinstance(trail_coverage, dict) or not isinstance(trail_coverage.get("gaps", []), list):
        raise fail("pulls.coverage", "must be a JSON object with a gaps list")
    for i, gap in enumerate(trail_coverage.get("gaps", [])):
        _flat(gap, f"pulls.coverage.gaps[{i}]", fail)
    return Summary(path, month, tuple(gaps), transfer, tuple(found), trail)


def _trail_notes(trail: dict[str, Any], path: Path) -> list[str]:
    """What ``ecrcost pulls`` wants said: the basis, the days it could not read, bytes it could not
    size or place."""
    notes = [
        f"Transfer measured from CloudTrail layer downloads ({trail.get('month')}, {trail.get('trail')})."
    ]
    coverage = trail.get("coverage", {})
    gaps = coverage.get("gaps", [])
    if gaps:
        shown = "; ".join(f"{_gap_label(g)} {g.get('message') or ''}".strip() for g in gaps[:5])
        more = f" and {len(gaps) - 5} more" if len(gaps) > 5 else ""
        notes.append(f"Partial trail coverage, not extrapolated: {shown}{more}; see {path}.")
    kept = coverage.get("estimate_kept", [])
    if isinstance(kept, list) and kept:
        where = ", ".join(f"{k.get('account_id')}/{k.get('region')}" for k in kept if isinstance(k, dict))
        notes.append(f"No trail for {where}: transfer there is collect's estimate from pull counts.")
    unknown = trail.get("unknown_layer_events") or 0
    if unknown:
        notes.append(
            f"{unknown} layer download(s) of layers not in the inventory: bytes unknown, not counted."
        )
    total, unclassified = trail.get("bytes") or 0, trail.get("unclassified_bytes") or 0
    if unclassified and isinstance(total, int) and isinstance(unclassified, int) and total:
        notes.append(
            f"{100 * unclassified / total:.2f}% of pulled bytes came from AWS addresses of no priced region "
            "(or no address): counted as internet."
        )
    return notes


def _flat(value: Any, where: str, fail: Fail) -> None:
    """An object of plain values (text, numbers, null): what collect writes for a gap and for the
    transfer estimate."""
    if not isinstance(value, dict):
        raise fail(where, "must be a JSON object")
    for key, item in value.items():
        if not isinstance(item, _SCALAR):
            raise fail(f"{where}.{key}", "must be text or a number")


def _gap_label(gap: dict[str, Any]) -> str:
    where = "/".join(str(gap.get(k)) for k in _GAP_KEYS if gap.get(k))
    return f"{where or 'collection'} {gap.get('operation') or ''} {gap.get('error_code') or ''}".strip()
