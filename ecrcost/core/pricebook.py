"""The price book: prices as data, each with its source, as-of date and confidence.

The bundled ``pricebook.json`` covers the commercial regions in ``shared/reference/pricing.md``.
``--prices FILE`` patches it: a partial file in the same layout overrides only what it names.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import InputError
from .tiers import Tier

# Items every region needs, the keys of a region's entry in the JSON.
REGION_ITEMS = (
    "storage",
    "archive_storage",
    "archive_retrieval",
    "internet_out",
    "inter_region_out",
    "nat_gateway",
    "interface_endpoint",
)
PUBLIC_ITEMS = ("storage", "storage_free_gb_month", "internet_free_gb", "anonymous_free_gb", "internet_out")


@dataclass(frozen=True)
class RegionPrices:
    """List prices of one region (USD; GB = 2^30 bytes)."""

    code: str
    name: str
    billing_code: str
    storage: Decimal  # per GB-month, standard class
    archive_tiers: tuple[Tier, ...]  # per GB-month, tiered on the region's archive GB-month
    archive_retrieval: Decimal  # per GB restored
    internet_tiers: tuple[Tier, ...]  # per GB out to the internet, tiered on the region's monthly total
    inter_region: Decimal  # per GB to another region (source side), unless a pair says otherwise
    inter_region_pairs: dict[str, Decimal]
    nat_gateway: Decimal  # per GB processed (billed under VPC, not ECR)
    interface_endpoint: Decimal  # per GB processed (billed under PrivateLink, not ECR)

    def inter_region_to(self, destination: str | None) -> Decimal:
        if destination and destination in self.inter_region_pairs:
            return self.inter_region_pairs[destination]
        return self.inter_region


@dataclass(frozen=True)
class PublicPrices:
    """ECR Public (billed in us-east-1, per account)."""

    storage: Decimal
    storage_free_gb_month: Decimal
    internet_free_gb: Decimal
    anonymous_free_gb: Decimal
    internet_tiers: tuple[Tier, ...]


class PriceBook:
    """Parsed, validated prices plus the raw document they came from (for ``ecrcost prices``)."""

    def __init__(self, doc: dict[str, Any], origin: str) -> None:
        self.doc = doc
        self.origin = origin
        self.regions = {
            code: _parse(f"regions.{code}", _region, code, entry)
            for code, entry in _section(doc, "regions", origin).items()
        }
        self.public = _parse("public", _public, _section(doc, "public", origin))

    def region(self, code: str) -> RegionPrices:
        try:
            return self.regions[code]
        except KeyError:
            raise InputError(
                f"unknown region '{code}': not in the price book (add it with --prices FILE)"
            ) from None

    def table(self, region: str | None = None) -> pd.DataFrame:
        """Every figure in use, one row each: region, item, tier, price, unit, source, as-of, confidence."""
        if region is not None:
            self.region(region)
        rows: list[dict[str, str]] = []
        sources = self.doc.get("sources", {})
        groups = [(code, entry, REGION_ITEMS) for code, entry in sorted(self.doc["regions"].items())]
        groups.append(("public", self.doc["public"], PUBLIC_ITEMS))
        for code, entry, items in groups:
            if region is not None and code not in (region, "public"):
                continue
            for name in items:
                item = entry[name]
                src = sources.get(item.get("source", ""), {})
                base = {
                    "region": code,
                    "item": name,
                    "unit": item.get("unit", ""),
                    "source": src.get("title", item.get("source", "")),
                    "url": src.get("url", ""),
                    "as_of": item.get("as_of", ""),
                    "confidence": item.get("confidence", ""),
                }
                if "tiers" in item:
                    lower = "0"
                    for t in item["tiers"]:
                        upper = t["up_to_gb"]
                        label = f"{lower}–{upper} GB" if upper is not None else f"over {lower} GB"
                        rows.append({**base, "tier": label, "price": t["usd_per_gb"]})
                        lower = upper
                else:
                    rows.append({**base, "tier": "", "price": item["value"]})
                for dest, price in sorted(item.get("pairs", {}).items()):
                    rows.append({**base, "item": f"{name} to {dest}", "tier": "", "price": price})
        return pd.DataFrame(
            rows, columns=["region", "item", "tier", "price", "unit", "confidence", "as_of", "source", "url"]
        )

    def unverified(self) -> set[tuple[str, str]]:
        """(region, item) pairs whose confidence is R (assumed, not sourced)."""
        out = set()
        for code, entry in self.doc["regions"].items():
            out |= {(code, n) for n in REGION_ITEMS if entry[n].get("confidence") == "R"}
        out |= {("public", n) for n in PUBLIC_ITEMS if self.doc["public"][n].get("confidence") == "R"}
        return out


def _section(doc: dict[str, Any], name: str, origin: str) -> dict[str, Any]:
    if not isinstance(doc.get(name), dict):
        raise InputError(f"price book has no '{name}' object", file=origin)
    return doc[name]


def _parse(where: str, parse: Any, *args: Any) -> Any:
    """Run ``parse`` and name the price-book entry (``regions.eu-west-1``) it choked on."""
    try:
        return parse(*args)
    except KeyError as exc:
        raise InputError(f"price book entry {where} lacks {exc}") from None
    except (TypeError, AttributeError, InvalidOperation, ValueError) as exc:
        raise InputError(f"price book entry {where} is malformed ({exc})") from None


def _num(value: Any) -> Decimal:
    if isinstance(value, float):
        value = repr(value)
    d = Decimal(str(value))
    if not d.is_finite() or d < 0:
        raise ValueError(f"price {value!r} must be a finite number >= 0")
    return d


def _tiers(item: dict[str, Any]) -> tuple[Tier, ...]:
    tiers = tuple(
        Tier(None if t["up_to_gb"] is None else _num(t["up_to_gb"]), _num(t["usd_per_gb"]))
        for t in item["tiers"]
    )
    bounds = [t.up_to_gb for t in tiers]
    if not tiers or bounds[-1] is not None or any(b is None for b in bounds[:-1]):
        raise ValueError("tiers must end with one open tier (up_to_gb: null)")
    if any(a >= b for a, b in pairwise(bounds[:-1])):  # type: ignore[operator]
        raise ValueError("tier bounds must increase")
    return tiers


def _region(code: str, e: dict[str, Any]) -> RegionPrices:
    ir = e["inter_region_out"]
    return RegionPrices(
        code=code,
        name=e.get("name", code),
        billing_code=e["billing_code"],
        storage=_num(e["storage"]["value"]),
        archive_tiers=_tiers(e["archive_storage"]),
        archive_retrieval=_num(e["archive_retrieval"]["value"]),
        internet_tiers=_tiers(e["internet_out"]),
        inter_region=_num(ir["value"]),
        inter_region_pairs={k: _num(v) for k, v in ir.get("pairs", {}).items()},
        nat_gateway=_num(e["nat_gateway"]["value"]),
        interface_endpoint=_num(e["interface_endpoint"]["value"]),
    )


def _public(e: dict[str, Any]) -> PublicPrices:
    return PublicPrices(
        storage=_num(e["storage"]["value"]),
        storage_free_gb_month=_num(e["storage_free_gb_month"]["value"]),
        internet_free_gb=_num(e["internet_free_gb"]["value"]),
        anonymous_free_gb=_num(e["anonymous_free_gb"]["value"]),
        internet_tiers=_tiers(e["internet_out"]),
    )


def _patch(base: dict[str, Any], patch: dict[str, Any], origin: str) -> None:
    """Deep-merge ``patch`` into ``base``. A priced item the patch sets without a source of its own
    is attributed to the override file."""
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _patch(base[key], value, origin)
        else:
            base[key] = copy.deepcopy(value)
    if ("value" in patch or "tiers" in patch) and "source" not in patch:
        base.update(source=f"override:{origin}", confidence="user", as_of=patch.get("as_of", ""))


@cache
def _bundled_doc() -> str:
    return resources.files(__package__).joinpath("pricebook.json").read_text(encoding="utf-8")


def load_pricebook(override: str | Path | None = None) -> PriceBook:
    """The bundled price book, patched by ``override`` when given."""
    doc = json.loads(_bundled_doc())
    if override is None:
        return PriceBook(doc, "bundled")
    path = Path(override)
    try:
        patch = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("price file not found", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot read the price file ({exc.strerror or exc})", file=path) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise InputError(f"not a JSON price book ({getattr(exc, 'msg', exc)})", file=path, row=line) from None
    if not isinstance(patch, dict):
        raise InputError("a price book is a JSON object", file=path)
    _patch(doc, patch, str(path))
    doc.setdefault("sources", {})[f"override:{path}"] = {
        "title": f"override file {path}",
        "url": "",
        "as_of": "",
        "confidence": "user",
    }
    try:
        return PriceBook(doc, str(path))
    except InputError as exc:
        exc.file = exc.file or str(path)
        raise
