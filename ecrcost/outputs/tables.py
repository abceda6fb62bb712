"""The report's tables as plain text cells, so that the terminal and the HTML report show the same
tables, built once: each function returns a :class:`Spec` that a renderer lays out."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, cast

import pandas as pd

from ..analysis import breakdown
from ..core.charges import ECR, charges
from ..core.estimate import Estimate
from ..core.money import CENT, ZERO
from .rows import GroupRow, MonthRow, PulledImageRow, RepositoryRow, TierRow, WherePullsGoRow

if TYPE_CHECKING:
    from ..analysis.timeline import Timeline

CHARGE_LABELS = {c.column: c.label for c in charges(bill=ECR)}


def usd(value: Decimal) -> str:
    return f"${value:,.2f}"


def gb(value: Decimal, places: int = 2) -> str:
    return f"{value:,.{places}f}"


@dataclass(frozen=True)
class Spec:
    """A table: ``columns`` are (heading, kind) with kind "text", "name" (user data that may be long)
    or "num" (right-aligned, never wrapped); ``rows`` and ``footer`` are text cells."""

    title: str
    columns: Sequence[tuple[str, str]]
    rows: list[list[str]] = field(default_factory=list)
    footer: list[str] | None = None


def _name(r: RepositoryRow) -> str:
    return r.repository + (" (public)" if r.registry == "public" else "")


def top_repositories(est: Estimate, top: int) -> Spec:
    grand = est.totals(CENT)["total_usd"] or Decimal(1)
    rows = [
        [
            _name(r),
            r.region,
            gb(r.storage_gb_month, 3),
            usd(r.storage_usd),
            usd(r.transfer_usd),
            usd(r.total_usd),
            f"{r.total_usd / grand:.1%}",
        ]
        for r in cast("Iterable[RepositoryRow]", breakdown.top_repositories(est, top).itertuples())
    ]
    columns = [("Repository", "name"), ("Region", "text"), ("GB-month", "num"), ("Storage", "num")]
    columns += [("Transfer", "num"), ("Total", "num"), ("Share", "num")]
    title = f"Top {top} repositories" if len(rows) >= top else f"All {len(rows)} repositories"
    return Spec(title, columns, rows)


def grouped(title: str, frame: pd.DataFrame, column: str, label: str) -> Spec:
    """A ``breakdown.by`` table (namespaces, regions) with its totals."""
    rows = [
        [
            str(getattr(r, column)),
            str(r.repositories),
            gb(r.storage_gb_month, 3),
            usd(r.storage_usd),
            usd(r.transfer_usd),
            usd(r.total_usd),
        ]
        for r in cast("Iterable[GroupRow]", frame.itertuples())
    ]
    footer = [
        "Total",
        str(int(frame["repositories"].sum())),
        gb(sum(frame["storage_gb_month"], ZERO), 3),
        *(usd(sum(frame[c], ZERO)) for c in ("storage_usd", "transfer_usd", "total_usd")),
    ]
    columns = [(label, "name"), ("Repos", "num"), ("GB-month", "num"), ("Storage", "num")]
    columns += [("Transfer", "num"), ("Total", "num")]
    return Spec(title, columns, rows, footer)


def namespaces(est: Estimate, depth: int) -> Spec:
    frame = breakdown.by(est, "namespace", depth=depth)
    return grouped(f"By namespace (depth {depth})", frame, "namespace", "Namespace")


def teams(est: Estimate, team_of: breakdown.Teams) -> Spec | None:
    """Cost per team (the repositories' ``team`` tag, a scenario's ``team`` column); None without any."""
    if not team_of:
        return None
    return grouped("By team", breakdown.by(est, "team", team_of=team_of), "team", "Team")


def regions(est: Estimate) -> Spec:
    return grouped("By region", breakdown.by(est, "region"), "region", "Region")


def tiers(est: Estimate) -> Spec | None:
    """Internet tiers used; None without internet transfer."""
    frame = est.tiers(CENT)
    if not len(frame):
        return None
    per_account = bool(frame["account_id"].astype(str).ne("").any())  # --billing account: a pool each
    rows = []
    for r in cast("Iterable[TierRow]", frame.itertuples()):
        span = f"{r.from_gb:,}–{r.to_gb:,}" if r.to_gb is not None else f"over {r.from_gb:,}"
        lead = [r.account_id] if per_account else []
        rows.append([*lead, r.scope, r.region, r.tier, span, gb(r.gb), f"${r.usd_per_gb}/GB", usd(r.usd)])
    columns = [("Account", "text")] if per_account else []
    columns += [("Scope", "text"), ("Region", "text"), ("Tier", "text"), ("GB range", "num")]
    columns += [("GB", "num"), ("Rate", "num"), ("Cost", "num")]
    return Spec("Internet egress tiers used", columns, rows)


def repositories(est: Estimate, title: str, account_column: bool = True) -> Spec:
    """Every repository with its quantities and charges, and the totals."""
    repos = est.rounded(CENT)
    totals = est.totals(CENT)
    lead = [("Account", "text")] if account_column else []
    columns = [*lead, ("Region", "text"), ("Repository", "name"), ("GB-month", "num"), ("Storage", "num")]
    columns += [("Internet GB", "num"), ("X-region GB", "num"), ("Transfer", "num"), ("Total", "num")]
    rows = [
        [
            *([r.account_id] if account_column else []),
            r.region,
            _name(r),
            gb(r.storage_gb_month, 3),
            usd(r.storage_usd),
            gb(r.internet_out_gb),
            gb(r.cross_region_out_gb),
            usd(r.transfer_usd),
            usd(r.total_usd),
        ]
        for r in cast("Iterable[RepositoryRow]", repos.itertuples())
    ]
    footer = [
        *([""] if account_column else []),
        "",
        "Total",
        gb(sum(repos["storage_gb_month"], ZERO), 3),
        usd(totals["storage_usd"]),
        gb(sum(repos["internet_out_gb"], ZERO)),
        gb(sum(repos["cross_region_out_gb"], ZERO)),
        usd(totals["transfer_usd"]),
        usd(totals["total_usd"]),
    ]
    return Spec(title, columns, rows, footer)


def over_time(timeline: Timeline) -> Spec:
    """The cost-over-time table (``report --history`` / ``--compare``): one row per month."""
    rows = [
        [
            r.month,
            r.kind,
            gb(r.storage_gb_month, 3),
            usd(r.storage_usd),
            usd(r.transfer_usd),
            usd(r.total_usd),
        ]
        for r in cast("Iterable[MonthRow]", timeline.table.itertuples())
    ]
    columns = [("Month", "text"), ("Kind", "text"), ("GB-month", "num"), ("Storage", "num")]
    return Spec("Cost over time", [*columns, ("Transfer", "num"), ("Total", "num")], rows)


def price_book(est: Estimate) -> str:
    """The price book an estimate used: its version, date and content hash (shortened)."""
    book = est.assumptions.get("price_book") or {}
    digest = str(book.get("hash", "")).removeprefix("sha256:")[:12]
    parts = [str(book.get("version", "")), str(book.get("date", "")), f"sha256:{digest}" if digest else ""]
    return "price book " + ", ".join(p for p in parts if p)


def where_pulls_go(where: pd.DataFrame, top: int = 10) -> Spec:
    """GB by destination class and what the transfer costs, per repository (from ``ecrcost pulls``)."""
    from ..analysis.pulls import CLASSES, LABELS

    rows = []
    shown = where.head(top)
    for r in cast("Iterable[WherePullsGoRow]", shown.itertuples(index=False)):
        rows.append(
            [
                r.repository,
                r.region,
                *(gb(getattr(r, f"{c}_gb"), 3) for c in CLASSES),
                gb(r.total_gb, 3),
                usd(r.transfer_usd),
            ]
        )
    total = [sum(where[f"{c}_gb"], ZERO) for c in CLASSES]
    money = sum(where["transfer_usd"], ZERO)
    more = f" (top {top} of {len(where)})" if len(where) > top else ""
    return Spec(
        f"Where pulls go, GB measured from CloudTrail{more}",
        [
            ("Repository", "name"),
            ("Region", "text"),
            *((LABELS[c], "num") for c in CLASSES),
            ("Total GB", "num"),
            ("Transfer", "num"),
        ],
        rows,
        ["Total", "", *(gb(t, 3) for t in total), gb(sum(total, ZERO), 3), usd(money)],
    )


def most_pulled(images: pd.DataFrame) -> Spec:
    """The most-pulled images: pulls, layer downloads, GB and where most of it went."""
    from ..analysis.pulls import LABELS

    rows = [
        [
            r.repository,
            r.image_digest[:19] + "…",
            f"{int(r.pull_count):,}",
            f"{int(r.layer_downloads):,}",
            gb(Decimal(int(r.bytes)) / Decimal(2**30), 3),
            LABELS.get(r.top_class, r.top_class),
            str(r.last_pull_at),
        ]
        for r in cast("Iterable[PulledImageRow]", images.itertuples(index=False))
    ]
    return Spec(
        "Most-pulled images",
        [
            ("Repository", "name"),
            ("Image", "name"),
            ("Pulls", "num"),
            ("Layer downloads", "num"),
            ("GB", "num"),
            ("Mostly to", "text"),
            ("Last pull", "text"),
        ],
        rows,
    )


def by_workload(table: pd.DataFrame) -> Spec:
    """The chargeback by workload (:func:`ecrcost.analysis.chargeback.by_workload`), with its total."""
    rows = [
        [str(w), f"{n:,}", usd(s), usd(t), usd(a)]
        for w, n, s, t, a in zip(
            table["workload"],
            table["repositories"],
            table["storage_usd"],
            table["transfer_usd"],
            table["total_usd"],
            strict=True,
        )
    ]
    totals = [sum(table[c], ZERO) for c in ("storage_usd", "transfer_usd", "total_usd")]
    return Spec(
        "Cost by workload (what no workload uses: idle)",
        [("Workload", "name"), ("Repos", "num"), ("Storage", "num"), ("Transfer", "num"), ("Total", "num")],
        rows,
        ["Total", "", *(usd(t) for t in totals)],
    )
