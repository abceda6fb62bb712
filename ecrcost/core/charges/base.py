"""What a charge unit is, and the two ways a charge prices: flat, or in volume tiers over a pool.

A unit reads one usage quantity (a *measure*, e.g. ``internet_out_gb``) of the repositories of one kind
of registry, needs one price item of the price book, and turns the rows it reads into line items at the
grain of the bill: one line per repository, tier and destination, with the AWS usage type, the quantity,
the list unit price and the exact cost. Nothing downstream prices anything again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from ..frames import tuples
from ..money import ZERO, share
from ..pricebook import PUBLIC, Section
from ..tiers import tier_lines

if TYPE_CHECKING:
    import pandas as pd

    from ..options import PricingOptions

KEY = ("account_id", "region", "registry", "repository")


class Line(NamedTuple):
    """One line item (exact): the repository, the charge, its tier and destination, how much, at what."""

    account_id: str
    region: str
    registry: str
    repository: str
    charge: str
    usage_type: str
    pricing_unit: str
    tier: str  # "" (flat), "free" (an allowance) or the tier's number "1", "2" …
    destination_region: str
    quantity: Decimal
    unit_price: Decimal
    cost: Decimal


@dataclass
class Priced:
    """What a charge made of its rows: line items, pool-level tier lines (for tier tables) and notes."""

    lines: list[Line] = field(default_factory=list)
    pools: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Pricing:
    """How a charge turns its rows into lines."""

    def price(self, charge: Charge, rows: pd.DataFrame, options: PricingOptions) -> Priced:
        raise NotImplementedError


@dataclass(frozen=True)
class Flat(Pricing):
    """Quantity × the item's rate (per destination where the price book has pairs; ``first_tier``: the
    first tier's rate of a tiered item); a charge without a price item is free (reported, never billed)."""

    first_tier: bool = False

    def price(self, charge: Charge, rows: pd.DataFrame, options: PricingOptions) -> Priced:
        out = Priced()
        line, rate_of = charge.lines(options), charge.rates(options, self.first_tier)
        for *key, dest, amount in tuples(rows, [*KEY, "destination_region", "amount"]):
            rate = rate_of(key[1], dest)
            out.lines.append(line(key, "", dest, amount, rate, amount * rate))
        return out


# Makes one line: (KEY values, tier, destination, quantity, unit price, cost) -> Line.
LineMaker = Callable[[Sequence[str], str, str, Decimal, Decimal, Decimal], Line]
# An allowance: the free GB of each pool, given every pool's total (a pool: a tuple of its KEY values).
Allowance = Callable[
    [Mapping[tuple[str, ...], Decimal], "PricingOptions", "Charge", tuple[str, ...]],
    dict[tuple[str, ...], Decimal],
]
# Other services' GB in each pool, sharing its tiers (and its allowance) with ECR's.
Others = Callable[
    [Mapping[tuple[str, ...], Decimal], "PricingOptions", tuple[str, ...]], dict[tuple[str, ...], Decimal]
]


@dataclass(frozen=True)
class Tiered(Pricing):
    """Volume tiers over a pool of repositories, with an optional allowance free from the bottom of the
    first tier. ``pool``: the KEY columns that share one tiered total on a consolidated bill (e.g.
    ``("region",)``; ``()``: the whole bill); with ``--billing account`` each account is a bill of its
    own, so the account splits every pool too. ``others``: GB other services add to a pool (they share
    its tiers and allowance; ECR pays its proportional share). The tiered cost of a pool is shared among
    its repositories in proportion to their quantity, tier by tier, so each repository's lines carry the
    tier, its share of the GB and the tier's rate."""

    pool: tuple[str, ...]
    allowance: Allowance | None = None
    others: Others | None = None

    def pool_of(self, options: PricingOptions) -> tuple[str, ...]:
        return self.pool if options.billing == "organization" else ("account_id", *self.pool)

    def price(self, charge: Charge, rows: pd.DataFrame, options: PricingOptions) -> Priced:
        out = Priced()
        if not len(rows):
            return out
        columns = self.pool_of(options)
        groups = list(rows.groupby(list(columns), sort=True)) if columns else [((), rows)]
        ecr = {_tuple(k): sum(g["amount"], ZERO) for k, g in groups}
        other = self.others(ecr, options, columns) if self.others else {}
        totals = {pool: gb + other.get(pool, ZERO) for pool, gb in ecr.items()}
        free = self.allowance(totals, options, charge, columns) if self.allowance else {}
        line = charge.lines(options)
        for k, group in groups:
            pool = _tuple(k)
            keys = list(tuples(group, KEY))
            weights = list(group["amount"])
            section = charge.section_of(options, keys[0][1])
            allowed = min(free.get(pool, ZERO), totals[pool])
            tiers = tier_lines(totals[pool], section.tiers(charge.item), allowed)
            parts = [("free", allowed, ZERO, ZERO)] if allowed > 0 else []
            parts += [(str(t.index), t.gb, t.usd_per_gb, t.usd) for t in tiers if t.gb > 0]
            # Each repository's GB split over the parts (summing to its own GB exactly); each part's cost
            # split over the repositories and the other services (ECR's shares: ECR's part of the cost).
            shares = [*weights, other.get(pool, ZERO)]
            costs = [share(usd, shares) for _, _, _, usd in parts]
            for i, (key, gb) in enumerate(zip(keys, weights, strict=True)):
                if not gb:
                    continue
                gbs = share(gb, [p[1] for p in parts])
                for (tier, _, rate, _), q, cost in zip(parts, gbs, costs, strict=True):
                    out.lines.append(line(key, tier, "", q, rate, cost[i]))
            first = dict(zip(KEY, keys[0], strict=True))
            scope = {c: (first[c] if c in columns else "") for c in ("account_id", "region")}
            scope["region"] = scope["region"] or first["region"]
            mine = ecr[pool] / totals[pool] if totals[pool] else ZERO  # ECR's part of the pool
            for (tier, gb, rate, _), cost in zip(parts, costs, strict=True):
                t = next((x for x in tiers if str(x.index) == tier), None)
                out.pools.append(
                    {
                        "charge": charge.name,
                        "scope": first["registry"],
                        **scope,
                        "tier": tier,
                        "from_gb": t.from_gb if t else ZERO,
                        "to_gb": t.to_gb if t else allowed,
                        "usd_per_gb": rate,
                        "gb": gb * mine,
                        "usd": sum(cost[: len(weights)], ZERO),
                    }
                )
        return out


def _tuple(key: Any) -> tuple[str, ...]:
    return key if isinstance(key, tuple) else (key,)


@dataclass(frozen=True)
class PerPool:
    """The same allowance for every pool: the price book's ``item`` of the charge's section."""

    item: str

    def __call__(
        self,
        totals: Mapping[tuple[str, ...], Decimal],
        options: PricingOptions,
        charge: Charge,
        columns: tuple[str, ...],
    ) -> dict[tuple[str, ...], Decimal]:
        return dict.fromkeys(totals, options.prices.section(charge.section).rate(self.item))


@dataclass(frozen=True)
class Charge:
    """One kind of line ECR causes on a bill.

    ``name``: the charge (its money column in per-repository tables is ``<name>_usd``); ``label``: how
    people read it; ``measure``: the usage quantity it reads; ``registry``: whose rows it reads
    ("private", "public" or "any"); ``bill``: "storage" or "transfer" (in the ECR total), "network"
    (billed under Amazon VPC, reported apart) or "free" (never billed, reported); ``reports``: the
    per-repository quantity columns its quantity adds to; ``section``: "region" (the repository's
    region) or "public" (ECR Public's); ``item``: the price item it needs ("" for a free charge);
    ``usage_type``: AWS's usage type, ``{code}`` being the region's billing code and
    ``{destination_code}`` the destination's; ``unit``: AWS's pricing unit; ``service``: the FOCUS
    service it is invoiced under (``outputs/export/billing.json``); ``pricing``: :class:`Flat` or
    :class:`Tiered`; ``notes``: what to say about the rows it priced.
    """

    name: str
    label: str
    measure: str
    registry: str
    bill: str
    reports: tuple[str, ...]
    unit: str
    pricing: Pricing
    section: str = "region"
    item: str = ""
    usage_type: str = ""
    usage_type_no_destination: str = ""
    service: str = ""
    description: str = ""
    notes: Callable[[pd.DataFrame, PricingOptions, Priced], list[str]] | None = None
    needs: tuple[str, ...] = ()  # price items it reads besides ``item`` and its allowance's

    @property
    def items(self) -> tuple[str, ...]:
        """Every price item of its section this charge reads."""
        allowance = getattr(self.pricing, "allowance", None)
        extra = (allowance.item,) if isinstance(allowance, PerPool) else ()
        return tuple(i for i in (self.item, *extra, *self.needs) if i)

    @property
    def column(self) -> str:
        return f"{self.name}_usd"

    @property
    def registries(self) -> tuple[str, ...]:
        """The registries (private, public) whose rows it reads."""
        return ("private", "public") if self.registry == "any" else (self.registry,)

    def section_of(self, options: PricingOptions, region: str) -> Section:
        return options.prices.section(PUBLIC if self.section == PUBLIC else region)

    def usage_type_of(self, options: PricingOptions, region: str, destination: str) -> str:
        """AWS's usage type of this charge's lines: the Price List's where the book's figure came from
        it (in us-east-1 some carry no region prefix), else built from the region's billing code."""
        if not self.usage_type:
            return ""
        section = self.section_of(options, region)
        listed = self.listed_usage_type(section, destination)
        if listed:
            return listed
        code = section.billing_code
        if "{destination_code}" not in self.usage_type:
            return self.usage_type.format(code=code)
        if not destination:
            return self.usage_type_no_destination.format(code=code)
        return self.usage_type.format(
            code=code, destination_code=options.prices.region(destination).billing_code
        )

    def listed_usage_type(self, section: Section, destination: str) -> str:
        """The usage type the price book's Price List provenance gives this charge ("" when none): only
        when it ends with this charge's meter (archive early deletion reads the archive figure but is
        another usage type)."""
        item = section.items.get(self.item) if self.item else None
        if item is None:
            return ""
        meter = self.usage_type.replace("{code}-", "").replace("{destination_code}-", "")
        ref = item.ref(destination) if destination else None
        found = ref.usage_type if ref is not None and ref.to == destination else item.usage_type
        return found if found.endswith(meter) else ""

    def lines(self, options: PricingOptions) -> LineMaker:
        """A function making this charge's lines; usage types are worked out once per region and
        destination."""
        usage_types: dict[tuple[str, str], str] = {}

        def make(
            key: Sequence[str], tier: str, destination: str, quantity: Decimal, price: Decimal, cost: Decimal
        ) -> Line:
            where = (key[1], destination)
            if where not in usage_types:
                usage_types[where] = self.usage_type_of(options, *where)
            account, region, registry, repository = key
            return Line(account, region, registry, repository, self.name, usage_types[where], self.unit, tier,
                        destination, quantity, price, cost)  # fmt: skip

        return make

    def rates(self, options: PricingOptions, first_tier: bool = False) -> Callable[[str, str], Decimal]:
        """The flat rate of this charge's item by (region, destination), looked up once each (the first
        tier's with ``first_tier``); zero for a free charge."""
        found: dict[tuple[str, str], Decimal] = {}

        def rate(region: str, destination: str) -> Decimal:
            if (region, destination) not in found:
                section = self.section_of(options, region)
                found[region, destination] = (
                    ZERO
                    if not self.item
                    else section.tiers(self.item)[0].usd_per_gb
                    if first_tier
                    else section.rate(self.item, destination)
                )
            return found[region, destination]

        return rate
