"""The price book: prices as data, each with its source, as-of date and confidence.

The bundled ``pricebook.json`` has one section per region (``regions.<code>``) and one for ECR Public
(``public``, billed in us-east-1). A section holds named items, each a flat ``value`` or volume
``tiers`` (and, for transfer to other regions, per-destination ``pairs``). Which items every section
must have is what the registered charges need (:mod:`ecrcost.core.charges`).
``--prices FILE`` patches the book: a partial file in the same layout overrides only what it names.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

from . import jsondoc
from .errors import InputError
from .pricepatch import check_patch
from .tiers import Tier

PUBLIC = "public"  # the ECR Public section's name, where a charge says which section it reads


def partition(region: str) -> str:
    """The AWS partition of a region: aws, aws-us-gov (GovCloud) or aws-cn (China)."""
    return "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"


_META = ("name", "billing_code", "billing_region")  # section keys that are not priced items


def content_hash(doc: Mapping[str, Any]) -> str:
    """``sha256:<hex>`` of the document in canonical JSON (keys sorted, no spaces), leaving out the
    hash it carries itself (``book.hash``): the same prices and provenance give the same hash."""
    book = (
        {k: v for k, v in doc.get("book", {}).items() if k != "hash"}
        if isinstance(doc.get("book"), dict)
        else None
    )
    body = {**doc, "book": book} if book is not None else dict(doc)
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Ref:
    """Where a figure came from in the AWS Price List: the SKU and rate code (one per tier), the usage
    type, and the destination of an inter-region pair (``to``, "" otherwise)."""

    sku: str
    rate_code: str
    usage_type: str
    to: str = ""


@dataclass(frozen=True)
class PriceItem:
    """One figure of a section: a flat ``value`` or volume ``tiers`` (cumulative monthly GB; the last
    open), with per-destination ``pairs`` where transfer to some regions costs something else."""

    value: Decimal | None = None
    tiers: tuple[Tier, ...] = ()
    pairs: Mapping[str, Decimal] = field(default_factory=dict)
    usage_type: str = ""  # AWS's usage type, when the figure came from the Price List
    refs: tuple[Ref, ...] = ()  # its Price List provenance, one per tier (or destination)

    def ref(self, destination: str = "", tier: int = 1) -> Ref | None:
        """The Price List reference of the rate used: a pair's by destination, else the tier's."""
        if destination:
            found = [r for r in self.refs if r.to == destination]
            if found:
                return found[0]
        plain = [r for r in self.refs if not r.to]
        return plain[tier - 1] if 0 < tier <= len(plain) else None

    def rate(self, destination: str = "") -> Decimal:
        """The flat rate (to ``destination`` where a pair names it)."""
        if destination and destination in self.pairs:
            return self.pairs[destination]
        if self.value is None:
            raise ValueError("a tiered item has no flat rate")
        return self.value


@dataclass(frozen=True)
class Section:
    """The prices of one region (or of ECR Public), USD; GB = 2^30 bytes."""

    code: str
    name: str
    billing_code: str  # AWS's region prefix of usage types (USE1, EU, APN1 …)
    items: Mapping[str, PriceItem]

    def item(self, name: str) -> PriceItem:
        return self.items[name]  # presence is checked when the book is read

    def rate(self, name: str, destination: str = "") -> Decimal:
        return self.items[name].rate(destination)

    def tiers(self, name: str) -> tuple[Tier, ...]:
        """The item's volume tiers; a flat rate is one open tier."""
        item = self.items[name]
        return item.tiers or (Tier(None, item.rate()),)

    # The figures other modules name directly.
    @property
    def storage(self) -> Decimal:
        return self.rate("storage")

    @property
    def internet_tiers(self) -> tuple[Tier, ...]:
        return self.tiers("internet_out")

    @property
    def archive_tiers(self) -> tuple[Tier, ...]:
        return self.tiers("archive_storage")

    @property
    def archive_retrieval(self) -> Decimal:
        return self.rate("archive_retrieval")


class PriceBook:
    """Parsed, validated prices plus the raw document they came from (for ``ecrcost prices``)."""

    def __init__(self, doc: dict[str, Any], origin: str) -> None:
        from .charges import required_items  # the charges say which items a section needs

        self.doc = doc
        self.origin = origin
        book: dict[str, Any] = doc["book"] if isinstance(doc.get("book"), dict) else {}
        self.identity = {
            "origin": origin,
            "version": str(book.get("version", "")),
            "date": str(book.get("date", "")),
            "hash": str(book.get("hash") or content_hash(doc)),
        }
        needs = required_items()
        self.regions = {
            code: _parse(f"regions.{code}", code, entry, needs.get("region", ()))
            for code, entry in _section(doc, "regions", origin).items()
        }
        public = _section(doc, PUBLIC, origin)
        self.public = _parse(PUBLIC, PUBLIC, public, needs.get(PUBLIC, ()), self.regions)

    def region(self, code: str) -> Section:
        try:
            return self.regions[code]
        except KeyError:
            if partition(code) == "aws-cn":
                raise InputError(
                    f"region '{code}' is in the China partition, billed in CNY by a separate AWS entity: "
                    "ecrcost prices USD only, so estimate it apart (never add CNY to USD)"
                ) from None
            raise InputError(
                f"unknown region '{code}': not in the price book (add it with --prices FILE)"
            ) from None

    def section(self, code: str) -> Section:
        """A region's section, or ECR Public's (``"public"``)."""
        return self.public if code == PUBLIC else self.region(code)

    def table(self, region: str | None = None) -> Any:
        """Every figure in use, one row each: region, item, tier, price, unit, source, as-of, confidence."""
        import pandas as pd

        if region is not None:
            self.region(region)
        rows: list[dict[str, str]] = []
        sources = self.doc.get("sources", {})
        groups = [(code, self.doc["regions"][code]) for code in sorted(self.regions)]
        groups.append((PUBLIC, self.doc[PUBLIC]))
        for code, entry in groups:
            if region is not None and code not in (region, PUBLIC):
                continue
            for name, item in entry.items():
                if name in _META:
                    continue
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
        """(section, item) pairs whose confidence is R (assumed, not sourced); ECR Public's are under
        ``"public"``."""
        out = set()
        for code, entry in [*self.doc["regions"].items(), (PUBLIC, self.doc[PUBLIC])]:
            out |= {
                (code, n)
                for n, item in entry.items()
                if n not in _META and isinstance(item, dict) and item.get("confidence") == "R"
            }
        return out


def _section(doc: dict[str, Any], name: str, origin: str) -> dict[str, Any]:
    if not isinstance(doc.get(name), dict):
        raise InputError(f"price book has no '{name}' object", file=origin)
    return doc[name]


def _parse(
    where: str, code: str, entry: Any, needs: tuple[str, ...], regions: Mapping[str, Section] | None = None
) -> Section:
    """A section of the book, naming the entry (``regions.eu-west-1``) it chokes on."""
    try:
        if not isinstance(entry, dict):
            raise TypeError("not an object")
        missing = [n for n in needs if n not in entry]
        if regions is None and "billing_code" not in entry:
            missing.insert(0, "billing_code")
        if missing:
            raise KeyError(", ".join(repr(m) for m in missing))
        items = {name: _named(f"{where}.{name}", value) for name, value in entry.items() if name not in _META}
        if regions is None:
            billing_code = str(entry["billing_code"])
        else:  # ECR Public is billed in one region: its usage types carry that region's code
            billing_code = regions[entry.get("billing_region", "us-east-1")].billing_code
        return Section(code, str(entry.get("name", code)), billing_code, items)
    except KeyError as exc:
        raise InputError(f"price book entry {where} lacks {exc.args[0]}") from None
    except (TypeError, AttributeError, InvalidOperation, ValueError) as exc:
        raise InputError(f"price book entry {where} is malformed ({exc})") from None


# Every figure (a price, a tier bound, a free allowance) is at most this, with at most this many
# digits and decimal places: far beyond any AWS figure, and small enough that the money arithmetic
# (60 significant digits) stays exact.
MAX_FIGURE = Decimal(10) ** 15
MAX_DIGITS = 40


def _named(where: str, entry: Any) -> PriceItem:
    """One item, its errors naming it (``regions.us-east-1.storage``)."""
    try:
        if not isinstance(entry, dict):
            raise TypeError("not an object")
        return _item(entry)
    except KeyError as exc:
        raise InputError(f"price book entry {where} lacks {exc.args[0]!r}") from None
    except (TypeError, AttributeError, InvalidOperation, ValueError) as exc:
        raise InputError(f"price book entry {where} is malformed ({exc})") from None


def _num(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"price {_show(value)} must be a number")
    d = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    if not d.is_finite() or d < 0:
        raise ValueError(f"price {_show(value)} must be a finite number >= 0")
    exponent = d.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    if d > MAX_FIGURE or len(d.as_tuple().digits) > MAX_DIGITS or -exponent > MAX_DIGITS:
        raise ValueError(
            f"price {_show(value)} is out of range (at most {MAX_FIGURE:.0e}, "
            f"with at most {MAX_DIGITS} digits and decimal places)"
        )
    return d


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _item(entry: dict[str, Any]) -> PriceItem:
    pairs = {str(k): _num(v) for k, v in entry.get("pairs", {}).items()}
    usage_type = str(entry.get("usage_type", ""))
    refs = tuple(
        Ref(
            str(r.get("sku", "")),
            str(r.get("rate_code", "")),
            str(r.get("usage_type", "")),
            str(r.get("to", "")),
        )
        for r in entry.get("provenance", [])
    )
    if "tiers" in entry:
        return PriceItem(tiers=_tiers(entry["tiers"]), pairs=pairs, usage_type=usage_type, refs=refs)
    return PriceItem(value=_num(entry["value"]), pairs=pairs, usage_type=usage_type, refs=refs)


def _tiers(entries: list[dict[str, Any]]) -> tuple[Tier, ...]:
    tiers = tuple(
        Tier(None if t["up_to_gb"] is None else _num(t["up_to_gb"]), _num(t["usd_per_gb"])) for t in entries
    )
    bounds = [t.up_to_gb for t in tiers]
    if not tiers or bounds[-1] is not None or any(b is None for b in bounds[:-1]):
        raise ValueError("tiers must end with one open tier (up_to_gb: null)")
    if any(a >= b for a, b in pairwise(bounds[:-1])):  # type: ignore[operator]
        raise ValueError("tier bounds must increase")
    return tiers


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
    patch = jsondoc.read(path, "a price book")
    if not isinstance(patch, dict):
        raise InputError("a price book is a JSON object", file=path)
    from .charges import required_items

    check_patch(patch, doc, required_items(), path)
    declared = patch.get("book", {}).get("hash") if isinstance(patch.get("book"), dict) else None
    if declared is not None:  # a whole book (``prices refresh`` wrote it): used as it is, hash checked
        if declared != content_hash(patch):
            raise InputError(
                "book.hash does not match the content: the file was changed after it was written "
                "(refresh it again, or remove book.hash to use it as an override)",
                file=path,
            )
        try:
            return PriceBook(patch, str(path))
        except InputError as exc:
            exc.file = exc.file or str(path)
            raise
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
