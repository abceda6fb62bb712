"""A price book built from the AWS Price List: the bundled book with every figure the Price List has
replaced (confidence V, with its provenance: offer, SKU, usage type, rate code, offer version and
publication date, the date fetched), every figure it lacks kept and listed, every product the mapping
does not know listed. The book is a whole document with a content hash (:func:`content_hash`)."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ...core.pricebook import content_hash
from .mapping import (
    PUBLIC,
    PUBLIC_QUERY,
    PUBLIC_REGION,
    REGION_QUERIES,
    SOUGHT,
    TIERED,
    Dimension,
    Place,
    ShapeError,
    dimensions,
    place,
)
from .offers import Product, Source

OFFER_URL = "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/{offer}/current/region_index.json"


@dataclass
class Refreshed:
    """The new book and what the refresh could not do."""

    doc: dict[str, Any]
    replaced: int = 0  # figures set from the Price List
    kept: list[str] = field(default_factory=list)  # "eu-west-1.archive_retrieval: not in the Price List"
    unrecognised: list[dict[str, str]] = field(default_factory=list)  # products the mapping did not place
    missing_regions: list[str] = field(default_factory=list)  # regions with no product at all
    notes: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing_regions


def _num(d: Decimal) -> str:
    """A price as AWS wrote it, without trailing zeros (0.0900000000 → 0.09)."""
    text = format(d.normalize(), "f")
    return text if text != "-0" else "0"


def _ref(product: Product, dim: Dimension, fetched: str, to: str = "") -> dict[str, str]:
    ref = {
        "offer": product.offer,
        "sku": product.sku,
        "usage_type": product.usage_type,
        "rate_code": dim.rate_code,
        "version": product.version,
        "publication_date": product.published,
        "fetched": fetched,
    }
    return {**ref, "to": to} if to else ref


def _listed(product: Product, why: str) -> dict[str, str]:
    a = product.attributes
    return {
        "offer": product.offer,
        "sku": product.sku,
        "product_family": product.family,
        "usage_type": product.usage_type,
        "region": a.get("regionCode") or a.get("fromRegionCode", ""),
        "why": why,
    }


def refresh(base: Mapping[str, Any], source: Source, regions: Iterable[str], fetched: str) -> Refreshed:
    """``base`` (the bundled book's document) with the figures of ``regions`` (and ECR Public's) read
    from ``source``; ``fetched``: today's date (YYYY-MM-DD)."""
    doc = copy.deepcopy(dict(base))
    out = Refreshed(doc)
    codes = {code: str(entry.get("billing_code", "")) for code, entry in doc["regions"].items()}
    found: dict[Place, list[tuple[Product, list[Dimension]]]] = {}
    seen_regions: set[str] = set()
    versions: dict[str, set[tuple[str, str]]] = {}

    def take(products: Iterable[Product]) -> int:
        n = 0
        for product in products:
            n += 1
            versions.setdefault(product.offer, set()).add((product.version, product.published))
            where = place(product, codes)
            if where is None:
                out.unrecognised.append(_listed(product, "not a product ecrcost prices"))
                continue
            if where.section != PUBLIC and where.section not in doc["regions"]:
                out.unrecognised.append(_listed(product, f"region {where.section} is not in the book"))
                continue
            if where.destination and where.destination not in doc["regions"]:  # a Local Zone, say
                out.unrecognised.append(
                    _listed(product, f"destination {where.destination} is not in the book")
                )
                continue
            try:
                dims = dimensions(product)
                unit = SOUGHT["region" if where.section != PUBLIC else PUBLIC][where.item]
                if any(d.unit != unit for d in dims):
                    raise ShapeError(f"unit {dims[0].unit!r}, not {unit!r}")
            except ShapeError as exc:
                out.unrecognised.append(_listed(product, str(exc)))
                continue
            found.setdefault(where, []).append((product, dims))
        return n

    for region in regions:
        n = 0
        for offer, match in REGION_QUERIES:
            wanted = {k: v.format(region=region) for k, v in match.items()}
            n += take(source.products(offer, region, wanted))
        if n:
            seen_regions.add(region)
        else:
            out.missing_regions.append(region)
    public_offer, public_match = PUBLIC_QUERY
    take(source.products(public_offer, PUBLIC_REGION, public_match))

    by_item: dict[tuple[str, str], dict[str, list[tuple[Product, list[Dimension]]]]] = {}
    for where, products in found.items():
        by_item.setdefault((where.section, where.item), {})[where.destination] = products
    for (section, item), by_dest in sorted(by_item.items()):
        entry = doc[PUBLIC] if section == PUBLIC else doc["regions"][section]
        if _apply(entry, item, by_dest, fetched, out, f"{section}.{item}"):
            out.replaced += 1

    asked = [*sorted(set(regions)), PUBLIC]
    for code in asked:
        entry = doc[PUBLIC] if code == PUBLIC else doc["regions"].get(code, {})
        kind = PUBLIC if code == PUBLIC else "region"
        for item in SOUGHT[kind]:
            if item in entry and (code, item) not in by_item:
                absent = code in out.missing_regions
                why = "region absent from the Price List answer" if absent else "not in the Price List answer"
                out.kept.append(f"{code}.{item}: {why}; the book's figure is kept")

    for offer, seen in sorted(versions.items()):
        listed = ", ".join(f"version {v} published {p}" for v, p in sorted(seen))
        doc.setdefault("sources", {})[f"pricelist:{offer}"] = {
            "title": f"AWS Price List {offer} ({listed})",
            "url": OFFER_URL.format(offer=offer),
            "as_of": fetched,
            "confidence": "V",
        }
    published = max((p for seen in versions.values() for _, p in seen), default="")
    doc["book"] = {
        "version": "AWS Price List "
        + "; ".join(
            f"{offer} {'/'.join(sorted({v for v, _ in seen}))}" for offer, seen in sorted(versions.items())
        ),
        "date": fetched,
        "published": published,
        "regions_refreshed": sorted(seen_regions),
        "kept": list(out.kept),  # what an audit of the book needs to know, in the book itself
        "unrecognised": list(out.unrecognised),
    }
    doc["book"]["hash"] = content_hash(doc)
    return out


def _apply(
    entry: dict[str, Any],
    item: str,
    by_dest: Mapping[str, list[tuple[Product, list[Dimension]]]],
    fetched: str,
    out: Refreshed,
    where: str,
) -> bool:
    """Set ``entry[item]`` from the products found for it; False (and the figure kept) when they do not
    fit one figure (several products for one place, a tiered price for a flat item)."""
    old = entry.get(item, {})
    new: dict[str, Any] = {"unit": old.get("unit", "")}
    refs: list[dict[str, str]] = []
    for dest, products in by_dest.items():
        if len(products) != 1:
            skus = ", ".join(p.sku for p, _ in products)
            out.kept.append(f"{where}{' to ' + dest if dest else ''}: {len(products)} products ({skus}); "
                            "the book's figure is kept")  # fmt: skip
            return False
    if "" in by_dest:
        product, dims = by_dest[""][0]
        if dims[0].usd == 0 and len(dims) > 1:  # a free first tier: the allowance is an option of ours
            out.notes.append(
                f"{where}: the Price List's free first {_num(dims[0].end or Decimal(0))} GB are left to the "
                "free-allowance options; the next tier starts at 0"
            )
            dims = [
                Dimension(dims[1].rate_code, Decimal(0), dims[1].end, dims[1].unit, dims[1].usd),
                *dims[2:],
            ]
        if item in TIERED:
            new["tiers"] = [{"up_to_gb": None if d.end is None else _num(d.end), "usd_per_gb": _num(d.usd)}
                            for d in dims]  # fmt: skip
        elif len({d.usd for d in dims}) == 1:
            new["value"] = _num(dims[0].usd)
            dims = dims[:1]
        else:
            out.kept.append(f"{where}: the Price List has tiers for a flat figure; the book's figure is kept")
            return False
        refs += [_ref(product, d, fetched) for d in dims]
        new["usage_type"] = product.usage_type
    else:  # by destination only (inter-region): the most common rate is the item's, the rest are pairs
        rates: dict[str, Decimal] = {}
        for dest, [(product, dims)] in sorted(by_dest.items()):
            if len({d.usd for d in dims}) != 1:
                out.kept.append(f"{where} to {dest}: tiered; the book's figure is kept")
                return False
            rates[dest] = dims[0].usd
            refs.append(_ref(product, dims[0], fetched, dest))
        counts = Counter(rates.values())
        before = Decimal(str(old["value"])) if "value" in old else None
        default = min(counts, key=lambda r: (-counts[r], r != before, r))  # a tie keeps the book's
        # A destination the answer lacks keeps the pair rate the book gave it (and says so).
        kept = {d: Decimal(str(r)) for d, r in old.get("pairs", {}).items() if d not in rates}
        for d in sorted(kept):
            out.kept.append(f"{where} to {d}: not in the Price List answer; the book's pair rate is kept")
        new["value"] = _num(default)
        new["pairs"] = {d: _num(r) for d, r in sorted({**rates, **kept}.items()) if r != default}
    offers = sorted({r["offer"] for r in refs})
    published = max(r["publication_date"] for r in refs)
    new.update(source=f"pricelist:{offers[0]}", as_of=published[:10], confidence="V", provenance=refs)
    entry[item] = new
    return True
