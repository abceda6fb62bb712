"""The pricing model: Usage + price book → Estimate. Pure: no I/O, no printing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation, localcontext

import pandas as pd

from .errors import InputError
from .estimate import PARTS, QUANTITIES, Estimate
from .metering.storage import meter
from .money import CONTEXT, ZERO, dec, share
from .period import Month
from .pricebook import PriceBook, load_pricebook
from .tiers import tier_lines
from .usage import KEY, TRANSFER_GB, Usage

GB = 2**30
TIER_COLUMNS = ["scope", "account_id", "region", "tier", "from_gb", "to_gb", "usd_per_gb", "gb", "usd"]
US_PER_SECOND = 1_000_000
MAX_GB = Decimal(10**15)  # an allowance beyond this is a typo, not a plan


def estimate(
    usage: Usage,
    month: Month | str | None = None,
    prices: PriceBook | None = None,
    free_internet_gb: Decimal | int | str = 0,
    blob_mounting: bool = False,
    now: datetime | None = None,
) -> Estimate:
    """Price one month of ``usage``.

    ``free_internet_gb``: the account-wide free internet allowance to apply (AWS grants 100 GB shared
    by all services; default 0 because other services usually use it). ``blob_mounting``: layers
    shared across repositories of one registry are stored once. ``now`` (default: the clock) only
    decides whether the month is still running, which the notes then say.
    """
    with localcontext(CONTEXT):
        est = _estimate(usage, month, prices, _free_gb(free_internet_gb), blob_mounting)
    now = now or datetime.now(UTC)
    if usage.images is not None and est.period.start <= now < est.period.end:
        note = f"{est.period} is not over: storage is projected to the month's end as if every image stays."
        est = replace(est, notes=(note, *est.notes))
    return est


def _estimate(
    usage: Usage, month: Month | str | None, prices: PriceBook | None, free: Decimal, blob_mounting: bool
) -> Estimate:
    period = month if isinstance(month, Month) else Month.parse(month)
    prices = prices or load_pricebook()
    for region in sorted(usage.regions):
        prices.region(region)
    missing = [c for c in TRANSFER_GB if c not in usage.transfer]
    if missing:  # a hand-built table may leave out quantities it does not have (the API's promise: zero)
        usage = replace(usage, transfer=usage.transfer.assign(**dict.fromkeys(missing, ZERO)))

    storage, notes, basis = _storage_lines(usage, period, blob_mounting)
    rows: dict[tuple[str, ...], dict[str, Decimal]] = {}

    def row(key: Iterable[str]) -> dict[str, Decimal]:
        return rows.setdefault(tuple(key), dict.fromkeys([*QUANTITIES, *PARTS], ZERO))

    _price_storage(storage, prices, row)
    tiers = _price_transfer(usage.transfer, prices, free, row, notes)
    exact = pd.DataFrame(
        [dict(zip(KEY, k, strict=True)) | v for k, v in sorted(rows.items())],
        columns=[*KEY, *QUANTITIES, *PARTS],
    )
    for c in [*QUANTITIES, *PARTS]:
        exact[c] = exact[c].astype(object)
    unverified = sorted(f"{region} {item}" for region, item in prices.unverified() & _items_used(exact))
    if unverified:
        notes.append(
            "Unverified (R) prices used: " + ", ".join(unverified) + ". Override them with --prices."
        )
    return Estimate(
        period=period,
        exact=exact,
        internet_tiers=tiers,
        network=_network(usage.transfer, prices),
        notes=(*usage.notes, *notes),  # what the source says first (e.g. collect's partial coverage)
        assumptions={
            "free_internet_gb": free,
            "blob_mounting": blob_mounting,
            "storage_basis": basis,
            "prices": prices.origin,
            "source": usage.source,
            **usage.assumptions,
        },
    )


def _free_gb(value: Decimal | int | str) -> Decimal:
    try:
        free = dec(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, TypeError):
        free = Decimal("NaN")
    if not free.is_finite() or not 0 <= free <= MAX_GB:
        raise InputError(
            f"'{value}' is not a number of GB between 0 and {MAX_GB:,}", column="--free-internet-gb"
        )
    return free


def _items_used(exact: pd.DataFrame) -> set[tuple[str, str]]:
    """(region, price item) pairs this estimate relied on; ECR Public's items are under "public"."""
    used = set()
    for item, column in (
        ("storage", "storage_gb_month"),
        ("archive_storage", "archive_gb_month"),
        ("archive_retrieval", "archive_restored_gb"),
        ("internet_out", "internet_out_gb"),
        ("inter_region_out", "cross_region_out_gb"),
    ):
        positive = exact[pd.Series([v > 0 for v in exact[column]], index=exact.index, dtype=bool)]
        used |= {
            ("public" if registry == "public" else region, item)
            for region, registry in zip(positive["region"], positive["registry"], strict=True)
        }
    return used


def _storage_lines(usage: Usage, period: Month, blob_mounting: bool) -> tuple[pd.DataFrame, list[str], str]:
    """GB-month per (KEY, storage_class): metered from images/layers, plus scenario rows as given."""
    parts = []
    notes: list[str] = []
    basis = "scenario"
    if usage.images is not None:
        metered = meter(usage.images, usage.layers, period, blob_mounting, usage.keys)
        notes.extend(metered.notes)
        basis = metered.basis
        denominator = Decimal(GB * period.seconds * US_PER_SECOND)
        lines = metered.lines.assign(registry="private")
        lines["storage_gb"] = [CONTEXT.divide(Decimal(b), denominator) for b in lines["byte_us"]]
        parts.append(lines)
    if len(usage.storage):
        parts.append(usage.storage)
    if not parts:
        return pd.DataFrame(columns=[*KEY, "storage_class", "storage_gb"]), notes, basis
    return (
        pd.concat([p[[*KEY, "storage_class", "storage_gb"]] for p in parts], ignore_index=True),
        notes,
        basis,
    )


def _price_storage(storage: pd.DataFrame, prices: PriceBook, row) -> None:
    for key, gb, cls in zip(
        storage[KEY].itertuples(index=False, name=None),
        storage["storage_gb"],
        storage["storage_class"],
        strict=True,
    ):
        r = row(key)
        if cls == "archive":
            r["archive_gb_month"] += gb
        r["storage_gb_month"] += gb
    private = storage[storage["registry"] == "private"]
    for key, gb in zip(
        private.loc[private["storage_class"] == "standard", KEY].itertuples(index=False, name=None),
        private.loc[private["storage_class"] == "standard", "storage_gb"],
        strict=True,
    ):
        row(key)["standard_storage_usd"] += gb * prices.region(key[1]).storage
    # Archive storage is tiered on each registry's (account + region) archive volume.
    archive = private[private["storage_class"] == "archive"]
    for (_, region), group in archive.groupby(["account_id", "region"], sort=True):
        _share(
            group,
            "storage_gb",
            "archive_storage_usd",
            row,
            sum(
                line.usd
                for line in tier_lines(sum(group["storage_gb"], ZERO), prices.region(region).archive_tiers)
            ),
        )
    # ECR Public: 50 GB-month free per account, then a flat rate.
    public = storage[storage["registry"] == "public"]
    for _, group in public.groupby("account_id", sort=True):
        billable = max(ZERO, sum(group["storage_gb"], ZERO) - prices.public.storage_free_gb_month)
        _share(group, "storage_gb", "public_storage_usd", row, billable * prices.public.storage)


def _share(group: pd.DataFrame, weight: str, part: str, row, amount: Decimal) -> None:
    keys = list(group[KEY].itertuples(index=False, name=None))
    for key, value in zip(keys, share(amount, list(group[weight])), strict=True):
        row(key)[part] += value


def _price_transfer(
    transfer: pd.DataFrame, prices: PriceBook, free: Decimal, row, notes: list[str]
) -> pd.DataFrame:
    tiers: list[dict] = []
    if not len(transfer):
        return pd.DataFrame(columns=TIER_COLUMNS)
    for key, t in zip(
        transfer[KEY].itertuples(index=False, name=None),
        transfer[["destination_region", *TRANSFER_GB]].itertuples(index=False),
        strict=True,
    ):
        r = row(key)
        r["internet_out_gb"] += t.internet_out_gb
        r["cross_region_out_gb"] += t.cross_region_out_gb
        r["same_region_out_gb"] += t.same_region_out_gb
        r["archive_restored_gb"] += t.archive_restored_gb
        if key[2] == "private":
            r["archive_retrieval_usd"] += t.archive_restored_gb * prices.region(key[1]).archive_retrieval
            r["cross_region_usd"] += t.cross_region_out_gb * prices.region(key[1]).inter_region_to(
                t.destination_region
            )
    no_destination = transfer[
        (transfer["registry"] == "private")
        & (transfer["destination_region"] == "")
        & transfer["cross_region_out_gb"].map(lambda v: v > 0)
    ]
    if len(no_destination):
        notes.append(
            f"{len(no_destination)} repository line(s) with cross-region transfer name no destination: "
            "priced at the source region's default inter-region rate."
        )

    # Internet egress: tiered per region over the whole input; the free allowance is account-wide, so it
    # goes first to the regions with the highest first-tier rate (the cheapest reading for the customer).
    private = transfer[transfer["registry"] == "private"]
    totals = {region: sum(g["internet_out_gb"], ZERO) for region, g in private.groupby("region", sort=True)}
    left = free
    order = sorted(totals, key=lambda r: (-prices.region(r).internet_tiers[0].usd_per_gb, r))
    for region in order:
        use = min(left, totals[region])
        left -= use
        group = private[private["region"] == region]
        lines = tier_lines(totals[region], prices.region(region).internet_tiers, use)
        tiers += _tier_rows("private", "", region, lines, use)
        _share(group, "internet_out_gb", "internet_usd", row, sum((x.usd for x in lines), ZERO))
    if free > 0:
        notes.append(f"Free internet allowance: {free} GB (account-wide), {free - left} GB of it used.")

    # ECR Public: authenticated internet transfer is free up to the allowance per account; transfer to AWS
    # compute in any region is free.
    public = transfer[transfer["registry"] == "public"]
    for account, group in public.groupby("account_id", sort=True):
        total = sum(group["internet_out_gb"], ZERO)
        allowance = prices.public.internet_free_gb
        lines = tier_lines(total, prices.public.internet_tiers, allowance)
        tiers += _tier_rows("public", account, "us-east-1", lines, min(total, allowance))
        _share(group, "internet_out_gb", "public_internet_usd", row, sum((x.usd for x in lines), ZERO))
    if len(public):
        notes.append(
            "ECR Public internet transfer is taken as authenticated pulls (anonymous pulls beyond "
            f"{prices.public.anonymous_free_gb} GB are blocked, not billed)."
        )
    return pd.DataFrame(tiers, columns=TIER_COLUMNS)


def _tier_rows(scope: str, account: str, region: str, lines, free: Decimal) -> list[dict]:
    rows = []
    if free > 0:
        rows.append(
            {
                "scope": scope,
                "account_id": account,
                "region": region,
                "tier": "free",
                "from_gb": ZERO,
                "to_gb": free,
                "usd_per_gb": ZERO,
                "gb": free,
                "usd": ZERO,
            }
        )
    for x in lines:
        if x.gb > 0:
            rows.append(
                {
                    "scope": scope,
                    "account_id": account,
                    "region": region,
                    "tier": str(x.index),
                    "from_gb": x.from_gb,
                    "to_gb": x.to_gb,
                    "usd_per_gb": x.usd_per_gb,
                    "gb": x.gb,
                    "usd": x.usd,
                }
            )
    return rows


def _network(transfer: pd.DataFrame, prices: PriceBook) -> pd.DataFrame:
    """NAT gateway and interface-endpoint processing of pulled bytes (billed under VPC, not ECR)."""
    rows = []
    for key, nat, vpce in zip(
        transfer[KEY].itertuples(index=False, name=None),
        transfer["nat_gateway_gb"],
        transfer["interface_endpoint_gb"],
        strict=True,
    ):
        if nat > 0 or vpce > 0:
            p = prices.region(key[1])
            rows.append(
                dict(zip(KEY, key, strict=True))
                | {
                    "nat_gateway_gb": nat,
                    "nat_gateway_usd": nat * p.nat_gateway,
                    "interface_endpoint_gb": vpce,
                    "interface_endpoint_usd": vpce * p.interface_endpoint,
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            *KEY,
            "nat_gateway_gb",
            "nat_gateway_usd",
            "interface_endpoint_gb",
            "interface_endpoint_usd",
        ],
    )
