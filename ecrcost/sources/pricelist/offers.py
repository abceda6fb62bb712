"""Products of the AWS Price List, one :class:`Product` each, from either of AWS's two surfaces:

- the Query API (``pricing`` ``GetProducts``) through boto3, which honours ``AWS_ENDPOINT_URL_PRICING``
  or an explicit endpoint; each element of its ``PriceList`` is a JSON *string* holding one product,
  its terms and the offer's ``version`` and ``publicationDate``;
- the bulk offer files in a folder laid out as AWS publishes them under ``/offers/v1.0/aws/``: the offer
  index (``index.json``) names each offer's region index, which names each region's offer file; an
  offer file has ``products`` keyed by SKU and ``terms.OnDemand[sku][offerTermCode]``.

Both answer the same question, "the products of this offer whose attributes equal these values", so
the mapping never knows where a product came from. A folder's files are filtered here the way
``GetProducts`` filters with ``TERM_MATCH``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ...core import jsondoc
from ...core.errors import InputError
from ..collect.permissions import declare

declare("pricing", "GetProducts", when="prices refresh")

PRICING_REGION = "us-east-1"  # the Query API answers in us-east-1, eu-central-1 and ap-south-1
OFFERS_PREFIX = "/offers/v1.0/aws/"  # where AWS publishes the bulk files; --offers DIR stands for it


class PriceListError(Exception):
    """The Price List could not be read (after retries): the refresh stops, writing nothing. Exit 3."""

    exit_code = 3


@dataclass(frozen=True)
class Product:
    """One product with its OnDemand terms, and the offer version it was read from."""

    offer: str  # AmazonECR, AmazonECRPublic, AWSDataTransfer
    sku: str
    family: str  # productFamily ("" when the product has none)
    attributes: Mapping[str, str]
    on_demand: Mapping[str, Any]  # offerTermCode -> term (with priceDimensions)
    version: str
    published: str  # publicationDate

    @property
    def usage_type(self) -> str:
        return self.attributes.get("usagetype", "")


class Source(Protocol):
    """Where products come from; ``region`` says which region's products are asked for (a folder reads
    that region's offer file; the API filters on the attributes alone)."""

    def products(self, offer: str, region: str, match: Mapping[str, str]) -> Iterator[Product]: ...


def _product(offer: str, doc: Mapping[str, Any], terms: Any, version: str, published: str) -> Product:
    attributes = doc.get("attributes") or {}
    return Product(
        offer=offer,
        sku=str(doc.get("sku", "")),
        family=str(doc.get("productFamily", "")),
        attributes={str(k): str(v) for k, v in attributes.items()},
        on_demand=terms if isinstance(terms, dict) else {},
        version=str(version),
        published=str(published),
    )


def _matches(product: Product, match: Mapping[str, str]) -> bool:
    return all(product.attributes.get(k) == v for k, v in match.items())


class QueryApi:
    """``GetProducts`` with ``TERM_MATCH`` filters, every page. Throttling and 5xx answers are retried
    by botocore (standard mode, ``attempts`` in all); what still fails stops the refresh."""

    def __init__(self, endpoint_url: str | None = None, attempts: int = 6) -> None:
        import boto3
        from botocore.config import Config

        config = Config(
            retries={"mode": "standard", "total_max_attempts": attempts},
            connect_timeout=5,
            read_timeout=60,
            user_agent_extra="ecrcost",
        )
        self.client = boto3.session.Session().client(
            "pricing", region_name=PRICING_REGION, endpoint_url=endpoint_url, config=config
        )
        self.calls = 0

    def products(self, offer: str, region: str, match: Mapping[str, str]) -> Iterator[Product]:
        from botocore.exceptions import BotoCoreError, ClientError

        filters = [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in match.items()]
        kwargs: dict[str, Any] = {"ServiceCode": offer, "Filters": filters, "FormatVersion": "aws_v1"}
        while True:
            try:
                self.calls += 1
                page = self.client.get_products(**kwargs)
            except (BotoCoreError, ClientError) as exc:
                raise PriceListError(f"Price List GetProducts {offer} {region}: {_short(exc)}") from None
            for text in page.get("PriceList", []):
                try:  # each element is a JSON document in a string
                    doc = json.loads(text) if isinstance(text, str) else text
                    yield _product(
                        offer,
                        doc["product"],
                        doc.get("terms", {}).get("OnDemand", {}),
                        doc.get("version", ""),
                        doc.get("publicationDate", ""),
                    )
                except (ValueError, KeyError, TypeError, AttributeError) as exc:
                    raise PriceListError(
                        f"Price List GetProducts {offer} {region}: a malformed product ({exc})"
                    ) from None
            token = page.get("NextToken")
            if not token:
                return
            kwargs["NextToken"] = token


def _short(exc: Exception, limit: int = 240) -> str:
    """An AWS error as one short line (a proxy's HTML error page is not worth 2 kB of stderr)."""
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class OfferFolder:
    """The bulk offer files under ``root`` (the folder standing for ``/offers/v1.0/aws/``). The offer
    index and each offer's region index are read once; an offer file once per offer and region."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._index: dict[str, Any] | None = None
        self._regions: dict[str, dict[str, Any]] = {}

    def _read(self, path: Path) -> Any:
        if not path.is_file():
            raise InputError("offer file not found (is --offers the folder AWS calls /offers/v1.0/aws/?)",
                             file=path)  # fmt: skip
        doc = jsondoc.read(path, "an offer file")
        if not isinstance(doc, dict):
            raise InputError("an offer file is a JSON object", file=path)
        return doc

    def _local(self, url: Any, where: Path) -> Path:
        """The file an index's URL (``/offers/v1.0/aws/AmazonECR/…/index.json``) names, under root."""
        if not isinstance(url, str) or OFFERS_PREFIX not in url:
            raise InputError(f"URL {url!r} is not under {OFFERS_PREFIX}", file=where)
        relative = url.split(OFFERS_PREFIX, 1)[1]
        path = (self.root / relative).resolve()
        if self.root.resolve() not in path.parents:
            raise InputError(f"URL {url!r} leaves the offers folder", file=where)
        return path

    def region_index(self, offer: str) -> dict[str, Any]:
        if offer not in self._regions:
            index_path = self.root / "index.json"
            if self._index is None:
                self._index = self._read(index_path)
            entry = self._index.get("offers", {}).get(offer)
            if not isinstance(entry, dict) or "currentRegionIndexUrl" not in entry:
                raise InputError(f"the offer index lists no offer {offer} with a currentRegionIndexUrl",
                                 file=index_path)  # fmt: skip
            path = self._local(entry["currentRegionIndexUrl"], index_path)
            self._regions[offer] = {"path": path, "doc": self._read(path)}
        return self._regions[offer]

    def products(self, offer: str, region: str, match: Mapping[str, str]) -> Iterator[Product]:
        index = self.region_index(offer)
        entry = index["doc"].get("regions", {}).get(region)
        if not isinstance(entry, dict):
            return  # AWS publishes no file for the region: nothing to read, the caller says so
        path = self._local(entry.get("currentVersionUrl"), index["path"])
        doc = self._read(path)
        on_demand = doc.get("terms", {}).get("OnDemand", {})
        version, published = doc.get("version", ""), doc.get("publicationDate", "")
        try:
            for sku, product in doc.get("products", {}).items():
                found = _product(offer, product, on_demand.get(sku, {}), version, published)
                if _matches(found, match):
                    yield found
        except (TypeError, AttributeError) as exc:
            raise InputError(f"malformed products ({exc})", file=path) from None
