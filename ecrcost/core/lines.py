"""Charge lines: an estimate at the grain of a bill — one line per repository, charge, price tier and
destination, with the quantity, the list unit price and the exact cost. The finance export renders
these; nothing here prices anything anew: each repository's lines split the model's own amount.

Columns: KEY, ``charge`` (a ``PARTS`` name), ``tier`` ("" or "free", "1", "2" …),
``destination_region``, ``quantity`` (GB-month for storage, GB otherwise), ``unit_price`` (USD per
unit), ``usd`` (exact Decimal; the lines of a repository and charge sum to ``Estimate.exact``'s
amount) and ``usd_rounded`` (to ``quantum``; every line sum equals ``Estimate.repositories(quantum)``).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal, localcontext

import pandas as pd

from .estimate import PARTS, Estimate
from .money import CENT, CONTEXT, ZERO, allocate, share
from .pricebook import PriceBook
from .tiers import tier_lines
from .usage import KEY, Usage

COLUMNS = [*KEY, "charge", "tier", "destination_region", "quantity", "unit_price", "usd", "usd_rounded"]
Key = tuple[str, str, str, str]
# One candidate line before it is reconciled with the model: tier, destination, quantity, unit price.
Line = tuple[str, str, Decimal, Decimal]


def charge_lines(est: Estimate, usage: Usage, prices: PriceBook, quantum: Decimal = CENT) -> pd.DataFrame:
    """The bill lines of ``est`` (which ``usage`` and ``prices`` produced), rounded to ``quantum``."""
    with localcontext(CONTEXT):
        found: dict[tuple[Key, str], list[Line]] = defaultdict(list)
        exact = est.exact
        keys: list[Key] = list(exact[KEY].itertuples(index=False, name=None))
        _storage(exact, keys, prices, found)
        _internet(exact, keys, est.internet_tiers, found)
        _cross_region(usage, prices, found)
        rounded = est.repositories(quantum)
        rows = []
        for charge in PARTS:
            amounts = zip(keys, exact[charge], rounded[charge], strict=True)  # same order: one row per key
            for key, amount, cents_total in amounts:
                lines = found.get((key, charge), [])
                if not lines and amount == 0:
                    continue
                if not lines:  # cannot happen for the charges above; keep the money rather than lose it
                    lines = [("", "", ZERO, ZERO)]
                weights = [q * p for _, _, q, p in lines]
                if not any(weights):  # free lines only: split the (zero) amount by quantity
                    weights = [q for _, _, q, _ in lines]
                usd = share(amount, weights) if any(weights) else [amount, *[ZERO] * (len(lines) - 1)]
                cents = allocate(cents_total, usd, quantum)
                for (tier, dest, quantity, price), u, c in zip(lines, usd, cents, strict=True):
                    rows.append((*key, charge, tier, dest, quantity, price, u, c))
    order = {charge: i for i, charge in enumerate(PARTS)}
    rows.sort(key=lambda r: (r[:4], order[r[4]]))  # a repository's lines together, charges in PARTS order
    return pd.DataFrame(rows, columns=COLUMNS)


def _storage(exact: pd.DataFrame, keys: list[Key], prices: PriceBook, found) -> None:
    archive_by_registry: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    public_by_account: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for key, gb, archive in zip(keys, exact["storage_gb_month"], exact["archive_gb_month"], strict=True):
        if key[2] == "public":
            public_by_account[key[0]] += gb
        else:
            archive_by_registry[key[0], key[1]] += archive
    archive_tiers = {
        reg: tier_lines(total, prices.region(reg[1]).archive_tiers)
        for reg, total in archive_by_registry.items()
    }
    for key, gb, archive, restored in zip(
        keys, exact["storage_gb_month"], exact["archive_gb_month"], exact["archive_restored_gb"], strict=True
    ):
        account, region, registry, _ = key
        if registry == "public":
            total = public_by_account[account]
            free = min(total, prices.public.storage_free_gb_month)
            ratio = gb / total if total else ZERO
            found[key, "public_storage_usd"] += [
                ("free", "", free * ratio, ZERO),
                ("1", "", (total - free) * ratio, prices.public.storage),
            ]
            continue
        p = prices.region(region)
        if gb - archive:
            found[key, "standard_storage_usd"].append(("", "", gb - archive, p.storage))
        if archive:
            total = archive_by_registry[account, region]
            found[key, "archive_storage_usd"] += [
                (str(t.index), "", t.gb * archive / total, t.usd_per_gb)
                for t in archive_tiers[account, region]
                if t.gb
            ]
        if restored:
            found[key, "archive_retrieval_usd"].append(("", "", restored, p.archive_retrieval))


def _internet(exact: pd.DataFrame, keys: list[Key], tiers: pd.DataFrame, found) -> None:
    """Each repository takes its share (by GB) of every tier line of its region (private) or account
    (ECR Public), as the model shared the tiered amount."""
    totals: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for key, gb in zip(keys, exact["internet_out_gb"], strict=True):
        totals[_scope(key)] += gb
    by_scope: dict[tuple[str, str], list[tuple[str, Decimal, Decimal]]] = defaultdict(list)
    for t in tiers.itertuples(index=False):
        scope = ("public", t.account_id) if t.scope == "public" else ("private", t.region)
        by_scope[scope].append((t.tier, t.gb, t.usd_per_gb))
    for key, gb in zip(keys, exact["internet_out_gb"], strict=True):
        if gb:
            ratio = gb / totals[_scope(key)]
            charge = "public_internet_usd" if key[2] == "public" else "internet_usd"
            found[key, charge] += [
                (tier, "", tier_gb * ratio, price) for tier, tier_gb, price in by_scope[_scope(key)]
            ]


def _scope(key: Key) -> tuple[str, str]:
    return ("public", key[0]) if key[2] == "public" else ("private", key[1])


def _cross_region(usage: Usage, prices: PriceBook, found) -> None:
    transfer = usage.transfer
    private = transfer[transfer["registry"] == "private"]
    for key, dest, gb in zip(
        private[KEY].itertuples(index=False, name=None),
        private["destination_region"],
        private["cross_region_out_gb"],
        strict=True,
    ):
        if gb:
            found[key, "cross_region_usd"].append(("", dest, gb, prices.region(key[1]).inter_region_to(dest)))
