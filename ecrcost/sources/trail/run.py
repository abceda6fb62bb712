"""One ``ecrcost pulls`` run: read the month's ECR events from the trail, attribute bytes and
destinations, and write the inventory's ``transfer`` and ``pulls`` tables and the ``pulls`` section of
``collection.json`` in one atomic swap of the folder (docs/pulls.md).

Python API::

    from ecrcost.sources.trail import Options, read_trail
    result = read_trail(Options(inventory=Path("inventory"), month="2026-10", trail="s3://bucket/logs",
                                ip_ranges=Path("ip-ranges.json")))
    result.partial      # True when days, files or calls of the trail could not be read (exit 3)
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from ...core.errors import InputError
from ...core.period import Month
from ...core.pricebook import PriceBook, load_pricebook
from ...outputs import folders
from ..collect.coverage import Gap
from ..collect.progress import Bars
from ..collect.sessions import Account, Clients
from ..collect.writer import staged, write_table
from ..inventory import find_table, read_inventory
from ..summary import NAME as SUMMARY
from . import files as sources
from .attribute import CLASSES, PULLS_TABLE, TRANSFER_TABLE, Attributed, attribute
from .events import Trail
from .ipranges import Ranges, load
from .lookup import RATE, lookup_batches
from .nat import nat_addresses

LOOKUP = "lookup-events"


@dataclass(frozen=True)
class Options:
    """``trail``: a folder, ``s3://bucket/prefix`` or ``lookup-events``; ``ip_ranges`` None = the
    cached copy (:func:`ecrcost.sources.trail.ipranges.default_path`); ``now`` for tests of the
    current month and of LookupEvents' 90 days."""

    inventory: Path
    trail: str
    month: Month | str | None = None
    ip_ranges: Path | None = None
    profile: str | None = None
    workers: int = 8
    max_attempts: int = 8
    quiet: bool = False
    prices: PriceBook | None = None
    now: datetime | None = None
    nat_gateways: bool = False  # read the account's NAT gateway addresses (ec2 DescribeNatGateways)


@dataclass(frozen=True)
class Result:
    summary: dict[str, Any]  # the ``pulls`` section written into collection.json
    attributed: Attributed
    gaps: tuple[Gap, ...] = field(default_factory=tuple)

    @property
    def partial(self) -> bool:
        return bool(self.gaps)


def read_trail(options: Options) -> Result:
    now = options.now or datetime.now(UTC)
    month = Month.of(options.month)
    if month.start >= now:
        raise InputError(f"{month} has not started yet", field="month")
    folder = options.inventory
    if not folder.is_dir():
        raise InputError("not an inventory folder (run ecrcost collect first)", file=folder)
    prices = options.prices or load_pricebook()
    usage = read_inventory(folder, prices, layers="text")  # pulls are matched by layer digest
    if usage.images is None or usage.layers is None:
        raise InputError(
            "the inventory has no layers table: layer sizes are what pulls are priced by", file=folder
        )
    ranges = load(options.ip_ranges)
    trail = Trail(month.start.isoformat(), month.end.isoformat())
    found = sources.Found({"trail": options.trail})
    with Bars(False if options.quiet else None, ("trail files",)) as bars:
        for batch in _batches(options, usage.images, month, found, now):
            bars.grow("trail files", len(batch))
            trail.add(batch)
            bars.advance("trail files", len(batch))
    images = _plain(usage.images, ["account_id", "region", "repository", "image_digest", "image_tags"])
    layers = _plain(usage.layers, ["account_id", "region", "repository", "layer_digest", "size_bytes"])
    nat: list[str] = []
    if options.nat_gateways:
        clients = Clients(options.profile, options.max_attempts)
        clients.check_credentials()
        nat, nat_gaps = nat_addresses(clients, sorted({str(r) for r in images["region"]}))
        found.gaps.extend(nat_gaps)
    attributed = attribute(trail, images, layers, ranges, set(prices.regions), nat)
    registries = sorted(
        {(str(a), str(r)) for a, r in zip(images["account_id"], images["region"], strict=True)}
    )
    days = found.covered({name for name, _ in trail.bad_files}) | trail.covered_days()
    coverage, gaps = _coverage(registries, days, month, now, found, trail)
    summary = _summary(options, month, ranges, trail, attributed, coverage, gaps)
    with folders.locked(folder, "pulls"):
        folders.recover(folder)
        _write(folder, attributed, coverage["estimate_kept"], summary)
    return Result(summary, attributed, tuple(gaps))


def _batches(
    options: Options, images: pd.DataFrame, month: Month, found: sources.Found, now: datetime
) -> Iterator[list[sources.File]]:
    trail = options.trail
    if trail == LOOKUP:
        clients = Clients(options.profile, options.max_attempts, RATE)
        clients.check_credentials()
        regions = sorted({str(r) for r in images["region"]})
        yield from lookup_batches(clients, regions, month, found, now)
    elif trail.startswith("s3://"):
        clients = Clients(options.profile, options.max_attempts, rate=0)
        clients.check_credentials()
        s3 = clients.client("s3", Account("base"), os.environ.get("AWS_DEFAULT_REGION") or "us-east-1")
        yield from sources.s3_batches(trail, month, found, s3, options.workers)
    else:
        yield from sources.local_batches(Path(trail), month, found)


def _plain(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = pd.DataFrame({c: frame[c] for c in columns})
    for c in columns:
        if c != "size_bytes":
            out[c] = out[c].astype(str)
    return out


def expected_days(month: Month, now: datetime) -> list[str]:
    """The days of ``month`` that have ended by ``now``: a trail covers a month day by day."""
    out = []
    day = month.start
    while day < month.end and day + timedelta(days=1) <= now:
        out.append(day.date().isoformat())
        day += timedelta(days=1)
    return out


def _coverage(
    registries: list[tuple[str, str]],
    days: set[tuple[str, str, str]],
    month: Month,
    now: datetime,
    found: sources.Found,
    trail: Trail,
) -> tuple[dict[str, Any], list[Gap]]:
    """Per registry of the inventory, the days its trail covers. A registry with no day at all keeps
    the transfer estimate collect wrote (basis estimate); one covered on some days but not all is a
    gap: the missing days are NOT extrapolated, their pulls are missing from the transfer."""
    expected = expected_days(month, now)
    gaps = list(found.gaps)
    for name, why in trail.bad_files:
        account, region, _ = found.file_days.get(name, ("", "", ""))
        gaps.append(Gap(account, region, "", "ReadTrailFile", "Unreadable", f"{name}: {why}"))
    per_registry = []
    kept = []
    for account, region in registries:
        have = {d for a, r, d in days if r == region and (a == account or not account)}
        missing = [d for d in expected if d not in have]
        if not have:
            kept.append({"account_id": account, "region": region})
            per_registry.append(
                {"account_id": account, "region": region, "days_covered": 0, "missing_days": []}
            )
            continue
        per_registry.append(
            {
                "account_id": account,
                "region": region,
                "days_covered": len(expected) - len(missing),
                "missing_days": missing,
            }
        )
        if missing:
            gaps.append(Gap(account, region, "", "CloudTrail", "MissingDays", _days(missing)))
    if len(kept) == len(registries):
        raise InputError(
            f"the trail has no events or files for {month} in any registry of the inventory "
            f"({', '.join(f'{a}/{r}' if a else r for a, r in registries[:5])})",
            file=found.about["trail"],
        )
    coverage = {
        "complete": not gaps,
        "days_expected": len(expected),
        "registries": per_registry,
        "estimate_kept": kept,
        "gaps": [g.as_dict() for g in gaps],
    }
    return coverage, gaps


def _days(days: list[str]) -> str:
    """``2026-10-05..2026-10-07, 2026-10-20``: runs of consecutive days."""
    runs: list[list[str]] = []
    for d in days:
        if runs and (datetime.fromisoformat(runs[-1][-1]) + timedelta(days=1)).date().isoformat() == d:
            runs[-1].append(d)
        else:
            runs.append([d])
    return ", ".join(r[0] if len(r) == 1 else f"{r[0]}..{r[-1]}" for r in runs)


def _summary(
    options: Options,
    month: Month,
    ranges: Ranges,
    trail: Trail,
    a: Attributed,
    coverage: dict[str, Any],
    gaps: list[Gap],
) -> dict[str, Any]:
    total = sum(a.by_class.values())
    return {
        "month": str(month),
        "trail": options.trail,
        "read_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ip_ranges": ranges.about(),
        "files_read": trail.files - len(trail.bad_files),
        "files_unreadable": len(trail.bad_files),
        "download_events": a.download_events,
        "pull_events": a.pull_events,
        "unknown_layer_events": a.unknown_layer_events,
        "unknown_layers": [
            {k: (int(v) if k == "events" else str(v)) for k, v in u.items()} for u in a.unknown_layers
        ],
        "skipped_events": trail.skipped(),
        "bytes": total,
        "bytes_by_class": {c: a.by_class[c] for c in CLASSES},
        "unclassified_bytes": a.unclassified_bytes,
        "nat_gateways": options.nat_gateways,
        "nat_gateway_bytes": a.nat_gateway_bytes,
        "coverage": coverage,
    }


def _write(folder: Path, a: Attributed, kept: list[dict[str, str]], summary: dict[str, Any]) -> None:
    """The new ``transfer`` (CloudTrail rows, and collect's estimate rows of the registries the trail
    does not cover) and ``pulls`` tables and collection.json, swapped in with the rest of the folder
    (hard links) in one step."""
    images = find_table(folder, "images", True)
    assert images is not None
    fmt = "parquet" if images.suffix == ".parquet" else "csv"
    transfer = pd.concat([a.transfer, _kept_estimates(folder, kept)], ignore_index=True)
    doc = _collection(folder)
    doc["transfer"] = {
        "basis": "cloudtrail",
        "month": summary["month"],
        "trail": summary["trail"],
        "ip_ranges_sync_token": summary["ip_ranges"]["syncToken"],
        "ip_ranges_create_date": summary["ip_ranges"]["createDate"],
    }
    doc["pulls"] = summary
    replaced = {f"{n}.{x}" for n in ("transfer", "pulls") for x in ("csv", "parquet")} | {SUMMARY}
    with staged(folder) as tmp:
        for entry in folder.iterdir():
            if entry.name in replaced:
                continue
            target = tmp / entry.name
            if entry.is_dir():
                shutil.copytree(entry, target, copy_function=_link)
            else:
                _link(str(entry), str(target))
        write_table(transfer[TRANSFER_TABLE], tmp, "transfer", fmt)
        write_table(a.pulls[PULLS_TABLE], tmp, "pulls", fmt)
        (tmp / SUMMARY).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def _link(src: str, dst: str) -> None:
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError:
        shutil.copy2(src, dst, follow_symlinks=False)


def _collection(folder: Path) -> dict[str, Any]:
    path = folder / SUMMARY
    if not path.is_file():
        return {}
    doc = json.loads(path.read_text(encoding="utf-8"))  # read_inventory checked it already
    return doc if isinstance(doc, dict) else {}


def _kept_estimates(folder: Path, kept: list[dict[str, str]]) -> pd.DataFrame:
    """collect's transfer rows of the registries the trail has nothing for, marked basis estimate."""
    path = find_table(folder, "transfer", False)
    if path is None or not kept:
        return pd.DataFrame(columns=TRANSFER_TABLE)
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
    else:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for c in TRANSFER_TABLE:
        if c not in frame:
            frame[c] = ""
    frame = frame.astype(object).where(frame.notna(), "").astype({c: str for c in TRANSFER_TABLE})
    frame["basis"] = frame["basis"].replace({"": "estimate", "None": "estimate", "nan": "estimate"})
    wanted = {(k["account_id"], k["region"]) for k in kept}
    mask = [(a, r) in wanted for a, r in zip(frame["account_id"], frame["region"], strict=True)]
    return frame.loc[mask, TRANSFER_TABLE]
