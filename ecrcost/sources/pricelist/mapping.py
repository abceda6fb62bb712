"""What a Price List product is in the price book, by its attributes alone (never its description):
the offer, ``productFamily``, the ``usagetype`` (without its region prefix: the *meter*),
``transferType`` and the from/to region codes.

- AmazonECR, ``regionCode`` R: meter ``TimedStorage-ByteHrs`` → ``regions.R.storage``;
  ``TimedStorage-Archive-ByteHrs`` → ``regions.R.archive_storage`` (tiers); ``Retrieval-Archive`` →
  ``regions.R.archive_retrieval``.
- AWSDataTransfer, ``fromRegionCode`` R: ``transferType`` "AWS Outbound" with meter
  ``DataTransfer-Out-Bytes`` → ``regions.R.internet_out`` (tiers); ``transferType`` "InterRegion
  Outbound" with ``toRegionCode`` D → ``regions.R.inter_region_out`` to D.
- AmazonECRPublic: meter ``TimedStorage-ByteHrs`` → ``public.storage``; ``transferType`` "AWS
  Outbound" with meter ``DataTransfer-Out-Bytes`` → ``public.internet_out`` (tiers).

A usage type carries the region's billing code as a prefix (``EU-TimedStorage-ByteHrs``), except for
some products in us-east-1, which carry none (``TimedStorage-ByteHrs``) while others there do
(``USE1-TimedStorage-Archive-ByteHrs``): the meter is the usage type with either stripped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .offers import Product

ECR, PUBLIC_OFFER, TRANSFER = "AmazonECR", "AmazonECRPublic", "AWSDataTransfer"
INTERNET, INTER_REGION = "AWS Outbound", "InterRegion Outbound"
PUBLIC = "public"

# The products asked for, per region: (offer, attributes that must equal) with "{region}" filled in.
REGION_QUERIES: tuple[tuple[str, Mapping[str, str]], ...] = (
    (ECR, {"regionCode": "{region}"}),
    (TRANSFER, {"fromRegionCode": "{region}", "transferType": INTERNET}),
    (TRANSFER, {"fromRegionCode": "{region}", "transferType": INTER_REGION}),
)
PUBLIC_QUERY: tuple[str, Mapping[str, str]] = (PUBLIC_OFFER, {})
PUBLIC_REGION = "us-east-1"  # ECR Public is sold in one region: its offer file is that region's

# The items a refresh looks for, per kind of section, with the unit AWS prices each in. Every other
# item of the book (NAT gateway, endpoints, free allowances) is not in these offers and is kept.
SOUGHT = {
    "region": {
        "storage": "GB-Mo",
        "archive_storage": "GB-Mo",
        "archive_retrieval": "GB",
        "internet_out": "GB",
        "inter_region_out": "GB",
    },
    PUBLIC: {"storage": "GB-Mo", "internet_out": "GB"},
}
TIERED = {"archive_storage", "internet_out"}


@dataclass(frozen=True)
class Place:
    """Where a product's price goes: a section (region code or ``public``), an item, a destination."""

    section: str
    item: str
    destination: str = ""


@dataclass(frozen=True)
class Dimension:
    """One price dimension of a product's OnDemand term: its rate code, range in the unit, price."""

    rate_code: str
    begin: Decimal
    end: Decimal | None  # None: "Inf"
    unit: str
    usd: Decimal


def meter(usage_type: str, billing_code: str) -> str:
    """The usage type without the region's prefix (``EU-TimedStorage-ByteHrs`` → ``TimedStorage-ByteHrs``)."""
    prefix = f"{billing_code}-"
    return usage_type[len(prefix) :] if billing_code and usage_type.startswith(prefix) else usage_type


def place(product: Product, billing_codes: Mapping[str, str]) -> Place | None:
    """The book item a product prices, or None when the mapping does not know it."""
    a = product.attributes
    if product.offer == ECR:
        region = a.get("regionCode", "")
        m = meter(product.usage_type, billing_codes.get(region, ""))
        item = {
            "TimedStorage-ByteHrs": "storage",
            "TimedStorage-Archive-ByteHrs": "archive_storage",
            "Retrieval-Archive": "archive_retrieval",
        }.get(m)
        return Place(region, item) if region and item else None
    if product.offer == TRANSFER:
        region = a.get("fromRegionCode", "")
        m = meter(product.usage_type, billing_codes.get(region, ""))
        if a.get("transferType") == INTERNET and m == "DataTransfer-Out-Bytes" and region:
            return Place(region, "internet_out")
        to = a.get("toRegionCode", "")
        if a.get("transferType") == INTER_REGION and region and to and m.endswith("-AWS-Out-Bytes"):
            return Place(region, "inter_region_out", to)
        return None
    if product.offer == PUBLIC_OFFER:
        m = meter(product.usage_type, billing_codes.get(PUBLIC_REGION, ""))
        if m == "TimedStorage-ByteHrs":
            return Place(PUBLIC, "storage")
        if a.get("transferType") == INTERNET and m == "DataTransfer-Out-Bytes":
            return Place(PUBLIC, "internet_out")
    return None


class ShapeError(ValueError):
    """A product's terms are not what the item needs (no OnDemand term, gaps between tiers, another
    currency or unit): the product is listed, its figure kept from the book."""


def _range(value: object) -> Decimal | None:
    if value == "Inf":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ShapeError(f"range {value!r} is not a number") from None


def dimensions(product: Product) -> list[Dimension]:
    """The one OnDemand term's price dimensions, in range order, checked to run from 0 to "Inf"
    without gaps."""
    terms = list(product.on_demand.values())
    if len(terms) != 1 or not isinstance(terms[0], dict):
        raise ShapeError(f"{len(terms)} OnDemand terms, not 1")
    dims = []
    for code, d in (terms[0].get("priceDimensions") or {}).items():
        try:
            usd = Decimal(str(d["pricePerUnit"]["USD"]))
        except (KeyError, TypeError, InvalidOperation):
            raise ShapeError(f"rate {code} has no USD price") from None
        begin = _range(d.get("beginRange", "0"))
        if begin is None:
            raise ShapeError(f"rate {code} begins at Inf")
        dims.append(Dimension(str(d.get("rateCode", code)), begin, _range(d.get("endRange", "Inf")),
                              str(d.get("unit", "")), usd))  # fmt: skip
    if not dims:
        raise ShapeError("no price dimensions")
    dims.sort(key=lambda x: x.begin)
    edge: Decimal | None = Decimal(0)
    for d in dims:
        if edge is None or d.begin != edge:
            raise ShapeError(f"rate {d.rate_code} begins at {d.begin}, not {edge}")
        edge = d.end
    if edge is not None:
        raise ShapeError(f"the last rate ends at {edge}, not Inf")
    return dims
