"""Renderings of lifecycle simulations: JSON (the keys docs/formats.md lists) and rich tables with one
column per policy. Renders only: every figure comes from :class:`ecrcost.lifecycle.Simulation`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

import pandas as pd
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..analysis.lifecycle.evaluate import EXPIRE, KEEP, TRANSITION
from ..analysis.lifecycle.simulation import Simulation
from ..core.money import CENT, allocate, round_half_up
from ..core.units import GB
from .json_columns import ColumnList
from .machine import chunks, dumps, number
from .rows import DecisionRow
from .terminal import bullets, plain, table, usd

BASIS = (
    "steady state: the images stored at as_of are priced for the whole period before and after the "
    "policy, so monthly_savings_usd is a monthly run-rate (storage only)"
)


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def to_dict(sims: Sequence[Simulation]) -> dict[str, Any]:
    return _document(sims, streamed=False)


def to_json(sims: Sequence[Simulation]) -> str:
    return dumps(to_dict(sims), end="\n")


def json_chunks(sims: Sequence[Simulation]) -> Iterator[bytes | memoryview]:
    """The text of :func:`to_json`, a piece at a time: the per-image lists (``expired``,
    ``transitioned``, ``protected``, ``orphans``, ``actions``) are built a column at a time from the
    decisions and written a few thousand images at a time, never as one string or as Python objects
    per image."""
    return chunks(_document(sims, streamed=True), end="\n")


def _document(sims: Sequence[Simulation], streamed: bool) -> dict[str, Any]:
    first = sims[0] if sims else None
    return {
        "as_of": _iso(first.as_of) if first else None,
        "period": str(first.period) if first else None,
        "currency": "USD",
        "basis": BASIS,
        "policies": [_policy(s, streamed) for s in sims],
    }


def _policy(s: Simulation, streamed: bool) -> dict[str, Any]:
    lists = _column_lists(s) if streamed else _python_lists(s)
    return {
        "policy": s.name,
        "expired": lists["expired"],
        "transitioned": lists["transitioned"],
        "storage_usd_before": number(s.storage_usd_before),
        "storage_usd_after": number(s.storage_usd_after),
        "monthly_savings_usd": number(s.monthly_savings_usd),
        "images": len(s.decisions),
        "bytes_before": s.bytes_before,
        "bytes_after": s.bytes_after,
        "bytes_freed": s.bytes_freed,
        "expired_image_bytes": s.expired_image_bytes,
        "archived_bytes": s.archived_bytes,
        "archive_minimum_usd": number(s.archive_minimum_usd),
        "restore_usd_per_gb": {r: number(v) for r, v in sorted(s.restore_usd_per_gb.items())},
        "restore_usd": number(s.restore_usd),
        "safe": s.safe,
        "running_images_hit": s.running[0],
        "running_instances": s.running[1],
        "protected": lists["protected"],
        "orphans": lists["orphans"],
        "emptied_repositories": s.emptied,
        "actions": lists["actions"],
        "repositories": [
            {
                k: (number(v) if isinstance(v, Decimal) else int(v) if k not in _TEXT else str(v))
                for k, v in rec.items()
            }
            for rec in s.repositories().to_dict(orient="records")
        ],
        "notes": list(s.notes),
    }


_TEXT = {"account_id", "region", "repository", "policy"}
ACTION_KEYS = [
    "account_id", "region", "repository", "image_digest", "image_tags", "size_bytes", "action",
    "rule_priority", "reason",
]  # fmt: skip
PROTECTED_KEYS = ["repository", "image_digest", "image_tags", "action", "protected"]


def _column_lists(s: Simulation) -> dict[str, ColumnList]:
    """The per-image lists, each written a column at a time (:mod:`.json_columns`)."""
    d = s.decisions
    digests = d["image_digest"]
    return {
        "expired": ColumnList([digests[d["action"] == EXPIRE]]),
        "transitioned": ColumnList([digests[d["action"] == TRANSITION]]),
        "protected": ColumnList([d.loc[d["protected"] != "", c] for c in PROTECTED_KEYS], PROTECTED_KEYS),
        "orphans": ColumnList([digests[d["orphan"]]]),
        "actions": ColumnList([d.loc[d["action"] != KEEP, c] for c in ACTION_KEYS], ACTION_KEYS),
    }


def _python_lists(s: Simulation) -> dict[str, list[Any]]:
    """The per-image lists as Python objects (:func:`to_dict`: a small inventory's, to use in Python)."""
    d = s.decisions
    return {
        "expired": s.expired,
        "transitioned": s.transitioned,
        "protected": [
            {
                "repository": str(r.repository),
                "image_digest": str(r.image_digest),
                "image_tags": str(r.image_tags or ""),
                "action": r.action,
                "protected": r.protected,
            }
            for r in cast("Iterable[DecisionRow]", s.protected.itertuples())
        ],
        "orphans": s.orphans,
        "actions": _actions(d[d["action"] != KEEP]),
    }


def _actions(acted: pd.DataFrame) -> list[dict[str, Any]]:
    """Each image acted on, built a column at a time (no per-row pandas access)."""
    columns = [
        *(acted[c].astype(str).tolist() for c in ("account_id", "region", "repository", "image_digest")),
        ["" if v is None else str(v) for v in acted["image_tags"].astype(object).tolist()],
        acted["size_bytes"].astype("int64").tolist(),
        acted["action"].astype(str).tolist(),
        acted["rule_priority"].astype("int64").tolist(),
        acted["reason"].astype(str).tolist(),
    ]
    return [dict(zip(ACTION_KEYS, row, strict=True)) for row in zip(*columns, strict=True)]


def running_line(s: Simulation) -> str:
    """What a policy would do to images that run (the inventory's workloads table)."""
    return (
        f"{s.name}: would expire {s.running[0]:,} image(s) that {s.running[1]:,} running "
        "task(s)/pod(s)/function(s) use; kept here (the saving excludes them), but ECR would delete them"
    )


def _gb(n: int) -> str:
    return f"{Decimal(n) / GB:,.3f}"


def saving_cents(s: Simulation) -> Decimal:
    """The saving as the table shows it: cents before − cents after, so the three lines agree."""
    return round_half_up(s.storage_usd_before) - round_half_up(s.storage_usd_after)


def comparison(sims: Sequence[Simulation]) -> RenderableType:
    """Policies side by side (one column each), then the saving per repository, then notes."""
    first = sims[0]
    heading = plain(
        f"Lifecycle what-if at {_iso(first.as_of)}: storage per month, priced for {first.period}", "bold"
    )
    summary = table("", [("", "text"), *((s.name, "num") for s in sims)])
    rows: list[tuple[str, list[str]]] = [
        ("Images stored", [f"{len(s.decisions):,}" for s in sims]),
        ("Images expired", [f"{len(s.expired):,}" for s in sims]),
        ("Images archived", [f"{len(s.transitioned):,}" for s in sims]),
        ("GB stored before", [_gb(s.bytes_before) for s in sims]),
        ("GB freed (shared layers stay)", [_gb(s.bytes_freed) for s in sims]),
        ("GB moved to archive", [_gb(s.archived_bytes) for s in sims]),
        ("Storage before (run-rate)", [usd(round_half_up(s.storage_usd_before)) for s in sims]),
        ("Storage after (run-rate)", [usd(round_half_up(s.storage_usd_after)) for s in sims]),
        ("Saving per month", [usd(saving_cents(s)) for s in sims]),
        ("Archive 90-day minimum charge", [usd(s.archive_minimum_usd) for s in sims]),
        ("Restore everything archived", [usd(s.restore_usd) for s in sims]),
        ("Protected images hit", [f"{len(s.protected):,}" for s in sims]),
        ("Running images hit (kept)", [f"{s.running[0]:,}" for s in sims]),
        ("Orphaned children", [f"{len(s.orphans):,}" for s in sims]),
        ("Repositories emptied", [f"{len(s.emptied):,}" for s in sims]),
    ]
    for label, values in rows:
        summary.add_row(plain(label), *(plain(v) for v in values))
    summary.add_row(
        plain("Safe"), *(Text("yes", style="green") if s.safe else Text("NO", style="bold red") for s in sims)
    )
    parts: list[RenderableType] = [heading, summary, _by_repository(sims)]
    hits = [running_line(s) for s in sims if s.running[0]]
    hits += [
        f"{s.name}: would {r.action} {r.repository}@{str(r.image_digest)[:19]}… ({r.protected})"
        for s in sims
        for r in s.protected.head(10).itertuples()
    ]
    emptied = [f"{s.name}: expires every image of {', '.join(s.emptied[:5])}" for s in sims if s.emptied]
    notes = [
        "Before/after: the images stored at --as-of, priced as if stored all month (a monthly run-rate); "
        "report and estimate meter the month instead (an image counts for the hours it was stored), so "
        "their storage can differ.",
        *hits,
        *emptied,
        *dict.fromkeys(n for s in sims for n in s.notes),
    ]
    parts.append(bullets(notes))
    return Group(*parts)


def _by_repository(sims: Sequence[Simulation]) -> Table:
    """Savings rounded to the cent so that each column sums to its total line."""
    per = []
    for s in sims:
        repos = s.repositories()
        # pandas-stubs allow no Decimal cells, which this object column holds
        repos["cents"] = allocate(saving_cents(s), list(repos["monthly_savings_usd"]), CENT)  # type: ignore[assignment]
        per.append(repos.set_index(["account_id", "region", "repository"]))
    keys = sorted(set().union(*(set(p.index) for p in per)))
    t = table(
        "Saving per month by repository (images expired / archived)",
        [("Region", "text"), ("Repository", "text"), *((s.name, "num") for s in sims)],
    )
    for key in keys:
        cells = []
        for p in per:
            if key in p.index:
                r = p.loc[key]
                cells.append(f"{usd(r['cents'])} ({r['expired']}/{r['transitioned']})")
            else:
                cells.append("")
        t.add_row(plain(key[1]), plain(key[2]), *(plain(c) for c in cells))
    t.add_row(plain(""), Text("Total", style="bold"), *(plain(usd(saving_cents(s))) for s in sims))
    return t
