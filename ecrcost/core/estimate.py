"""The Estimate: one month's line items, and the tables people read, all group-bys of those lines."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from functools import cached_property
from typing import Any, cast

import numpy as np
import pandas as pd

from .charges import ECR, Charge, Line, charges
from .frames import tuples
from .money import CENT, CONTEXT, MICRO, ZERO, allocate, round_half_up
from .options import PricingOptions
from .period import Month
from .usage import KEY

LINE_COLUMNS = list(Line._fields)
POOL_COLUMNS = [
    "charge",
    "scope",
    "account_id",
    "region",
    "tier",
    "from_gb",
    "to_gb",
    "usd_per_gb",
    "gb",
    "usd",
]
TIER_COLUMNS = POOL_COLUMNS[1:]
STORAGE_PARTS = [c.column for c in charges(bill="storage")]
TRANSFER_PARTS = [c.column for c in charges(bill="transfer")]
PARTS = STORAGE_PARTS + TRANSFER_PARTS
# Per-repository quantities: what the charges in (or free beside) the ECR total report, in their order.
QUANTITIES = list(dict.fromkeys(q for c in charges(bill=(*ECR, "free")) for q in c.reports))
NETWORK = charges(bill="network")
NETWORK_COLUMNS = [*KEY, *(col for c in NETWORK for col in (c.reports[0], c.column))]
TOTALS = ["storage_usd", "transfer_usd", "total_usd"]
INTERNET = ("internet", "public_internet")  # the tiered transfer charges a tier table shows
GB_PLACES = 6  # GB and GB-month in numeric tables


@dataclass(frozen=True)
class Estimate:
    """One month of ECR cost (USD; GB = 2^30 bytes) as line items at the bill's grain.

    ``lines``: one row per repository × charge × tier × destination (``LINE_COLUMNS``: KEY, charge,
    AWS usage type, pricing unit, tier, destination_region, quantity, unit_price, cost; exact
    ``Decimal``). ``roster``: every repository the usage names. ``pools``: the tier lines of each pool
    a tiered charge priced. Everything else is derived from these.
    """

    options: PricingOptions
    lines: pd.DataFrame
    roster: pd.DataFrame
    pools: pd.DataFrame
    notes: tuple[str, ...] = ()
    assumptions: dict[str, Any] = field(default_factory=dict)
    currency: str = "USD"
    # Rounded tables by quantum: a report asks for the same rounding many times (totals, groupings, tiers).
    _rounded: dict[Decimal, pd.DataFrame] = field(default_factory=dict, init=False, repr=False, compare=False)
    _rounded_lines: dict[Decimal, pd.DataFrame] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __repr__(self) -> str:
        t = self.totals(CENT)
        return (
            f"<Estimate {self.period}: ${t['total_usd']:,} (storage ${t['storage_usd']:,}, transfer "
            f"${t['transfer_usd']:,}); {len(self.roster):,} repositories, {len(self.lines):,} line items>"
        )

    @property
    def period(self) -> Month:
        return self.options.month

    @cached_property
    def exact(self) -> pd.DataFrame:
        """One row per repository: KEY, ``QUANTITIES`` (Decimal GB or GB-month) and the exact Decimal USD
        of every charge in ``PARTS``, summed from the line items."""
        sums = _per_repository(self.lines, charges(bill=(*ECR, "free")))
        columns = [*QUANTITIES, *PARTS]
        found = [sums.get(k, {}) for k in tuples(self.roster, KEY)]
        out = self.roster[KEY].reset_index(drop=True).copy()
        for c in columns:
            out[c] = pd.Series([row.get(c, ZERO) for row in found], dtype=object)
        return out

    def rounded(self, quantum: Decimal = MICRO) -> pd.DataFrame:
        """Per-repository amounts rounded to ``quantum`` (default: micro-dollars) with controlled
        rounding: the charges of every repository sum to its total, each charge column sums to the
        rounded total of that charge, and all of it sums to the rounded grand total. Decimal columns."""
        if quantum not in self._rounded:
            self._rounded[quantum] = controlled_round(self.exact, quantum)
        return self._rounded[quantum].copy()  # callers may add columns; the cached table stays as it is

    def totals(self, quantum: Decimal = MICRO) -> dict[str, Decimal]:
        table = self.rounded(quantum)
        return {c: sum(table[c], ZERO) for c in [*PARTS, *TOTALS]}

    @property
    def total_usd(self) -> Decimal:
        return self.totals()["total_usd"]

    @property
    def storage_usd(self) -> Decimal:
        return self.totals()["storage_usd"]

    @property
    def transfer_usd(self) -> Decimal:
        return self.totals()["transfer_usd"]

    @cached_property
    def network(self) -> pd.DataFrame:
        """NAT gateway and interface endpoint processing per repository (exact Decimal GB and USD):
        billed under Amazon VPC / AWS PrivateLink, so reported apart, never in the ECR total."""
        sums = _per_repository(self.lines, NETWORK)
        rows = [
            dict(zip(KEY, k, strict=True)) | {c: v.get(c, ZERO) for c in NETWORK_COLUMNS[len(KEY) :]}
            for k, v in sorted(sums.items())
        ]
        return pd.DataFrame(rows, columns=NETWORK_COLUMNS)

    @property
    def network_usd(self) -> Decimal:
        """NAT gateway and interface endpoint processing: reported apart, not part of the ECR bill."""
        return sum((sum(self.network[c.column], ZERO) for c in NETWORK), ZERO)

    @property
    def internet_tiers(self) -> pd.DataFrame:
        """Internet tier lines per pool (exact): scope (private | public), account_id, region, tier,
        from_gb, to_gb, usd_per_gb, gb, usd."""
        return self.pools[self.pools["charge"].isin(INTERNET)][TIER_COLUMNS].reset_index(drop=True)

    def tiers(self, quantum: Decimal = MICRO) -> pd.DataFrame:
        """Internet tier lines, rounded so that they sum to the rounded internet charges."""
        out = self.internet_tiers.copy()
        totals = self.totals(quantum)
        usd = list(out["usd"])
        for scope, charge in (("private", "internet_usd"), ("public", "public_internet_usd")):
            rows = [i for i, s in enumerate(out["scope"]) if s == scope]
            for i, v in zip(rows, allocate(totals[charge], [usd[i] for i in rows], quantum), strict=True):
                usd[i] = v
        out["usd"] = pd.Series(usd, index=out.index, dtype=object)
        return out

    def billed_lines(self, quantum: Decimal = CENT) -> pd.DataFrame:
        """The line items in the ECR total with ``cost_rounded``: each repository × charge's rounded amount
        (:meth:`rounded`) shared over its lines by largest remainder, so the lines sum to every total."""
        if quantum not in self._rounded_lines:
            self._rounded_lines[quantum] = self._allocate_lines(quantum)
        return self._rounded_lines[quantum].copy()

    def _allocate_lines(self, quantum: Decimal) -> pd.DataFrame:
        billed = {c.name: c for c in charges(bill=ECR)}
        lines = self.lines[self.lines["charge"].isin(billed)].reset_index(drop=True)
        table = self.rounded(quantum)
        rounded = dict(zip(tuples(table, KEY), table[PARTS].to_dict("records"), strict=True))
        groups: dict[tuple[tuple[Any, ...], str], list[int]] = defaultdict(list)
        for i, row in enumerate(tuples(lines, [*KEY, "charge"])):
            groups[(row[:4], row[4])].append(i)
        cents: list[Decimal] = [ZERO] * len(lines)
        costs = list(lines["cost"])
        for (key, name), rows in groups.items():
            total = rounded[key][billed[name].column]
            for i, v in zip(rows, allocate(total, [costs[i] for i in rows], quantum), strict=True):
                cents[i] = v
        return lines.assign(cost_rounded=pd.Series(cents, index=lines.index, dtype=object))

    # --- tables for notebooks: numeric columns that plot, describe and group -------------------------

    def repositories(self, quantum: Decimal = MICRO) -> pd.DataFrame:
        """One row per repository: quantities (GB, GB-month) and USD per charge and in total, as float
        columns to plot, describe and group, and beside each USD column its exact Decimal
        (``<column>_exact``, rounded to ``quantum`` so that every column sums to its total)."""
        return numeric(self.rounded(quantum), [*PARTS, *TOTALS], QUANTITIES)

    def line_items(self, quantum: Decimal = MICRO) -> pd.DataFrame:
        """The line items in the ECR total: KEY, charge, usage_type, pricing_unit, tier,
        destination_region, quantity, unit_price_usd and cost_usd as floats, and ``cost_usd_exact``
        (Decimal, rounded to ``quantum`` by largest remainder, summing to :attr:`total_usd`)."""
        lines = self.billed_lines(quantum)
        frame = lines[LINE_COLUMNS[:9]].assign(
            quantity=lines["quantity"], unit_price_usd=lines["unit_price"], cost_usd=lines["cost_rounded"]
        )
        return numeric(frame, ["cost_usd"], ["quantity", "unit_price_usd"])


def _per_repository(lines: pd.DataFrame, wanted: list[Charge]) -> dict[tuple[Any, ...], dict[str, Decimal]]:
    """Per repository (KEY tuple): the quantity columns each of the ``wanted`` charges reports, and the
    cost of those in a bill (``<charge>_usd``), summed exactly from the lines."""
    by_name = {c.name: c for c in wanted}
    sums: dict[tuple[Any, ...], dict[str, Decimal]] = defaultdict(dict)
    with localcontext(CONTEXT):  # sums of 60-digit amounts stay exact
        for *key, name, quantity, cost in tuples(lines, [*KEY, "charge", "quantity", "cost"]):
            charge = by_name.get(name)
            if charge is None:
                continue
            row = sums[tuple(key)]
            for column in charge.reports:
                row[column] = row.get(column, ZERO) + quantity
            if charge.bill != "free":
                row[charge.column] = row.get(charge.column, ZERO) + cost
    return sums


def numeric(frame: pd.DataFrame, money: list[str], quantities: list[str]) -> pd.DataFrame:
    """``frame`` with float columns for the Decimal ``money`` (and ``<column>_exact`` beside each, the
    Decimal itself) and ``quantities`` (floats at 6 decimals)."""
    out = frame.copy()
    for c in quantities:
        out[c] = np.round(np.array([float(v) for v in frame[c]], dtype=np.float64), GB_PLACES)
    for c in money:
        position = cast(int, out.columns.get_loc(c)) + 1  # column names are unique
        out.insert(position, f"{c}_exact", frame[c].astype(object))
        out[c] = np.array([float(v) for v in frame[c]], dtype=np.float64)
    return out


def controlled_round(exact: pd.DataFrame, quantum: Decimal) -> pd.DataFrame:
    """Round a repository × charge matrix so that rows, columns and the grand total all add up."""
    with localcontext(CONTEXT):
        return _controlled_round(exact, quantum)


def _controlled_round(exact: pd.DataFrame, quantum: Decimal) -> pd.DataFrame:
    out = exact[[*KEY, *QUANTITIES]].copy()
    columns = {c: list(exact[c]) for c in PARTS}
    column_totals = {c: sum(v, ZERO) for c, v in columns.items()}
    grand = round_half_up(sum(column_totals.values(), ZERO), quantum)
    rounded_totals = allocate(grand, list(column_totals.values()), quantum)
    for (name, values), total in zip(columns.items(), rounded_totals, strict=True):
        # pandas-stubs allow no Decimal cells, which these object columns hold
        out[name] = allocate(total, values, quantum) if values else []  # type: ignore[assignment]
    out["storage_usd"] = out[STORAGE_PARTS].sum(axis=1) if len(out) else []
    out["transfer_usd"] = out[TRANSFER_PARTS].sum(axis=1) if len(out) else []
    out["total_usd"] = out["storage_usd"] + out["transfer_usd"] if len(out) else []
    for c in TOTALS:
        out[c] = out[c].astype(object)
    return out
