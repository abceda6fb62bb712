"""The AWS Price List, served locally in AWS's own formats, for ``ecrcost prices refresh``.

Products are built the way AWS writes them (AWS Billing user guide, "Reading the service price list
file for an AWS service"; GetProducts in the Price List Query API reference): a product has ``sku``,
``productFamily`` and ``attributes``; its OnDemand term is keyed by ``<sku>.<offerTermCode>`` and holds
``priceDimensions`` keyed by rate code, each with ``beginRange``/``endRange`` ("Inf" for the open
end), ``unit`` and ``pricePerUnit.USD`` (a string). ``GetProducts`` answers ``PriceList`` as a list of
JSON *strings*, a page at a time with ``NextToken``.

:func:`catalogue` writes the products that price a price book's figures (the bundled one by default),
so a book refreshed from them can be held against the book they came from. :class:`Server` answers
``AWSPriceListService.GetProducts`` (JSON 1.1, ``X-Amz-Target``) with TERM_MATCH filters, throttling
or failing on request; :func:`write_offers` lays the same products out as the bulk offer files.

Where AWS's real shapes were not confirmed (ECR Public's attributes), the fixture follows the private
registry's and docs/pricing.md says so.
"""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ON_DEMAND = "JRTCKXETXF"  # AWS's offerTermCode of every OnDemand term
RATE_CODES = ["6YS6EN2CT7", "PGHJ3S3EYE", "QCB5P3JH2Q", "QYFSSC9XF5", "VXWNHN4A7R"]  # one per tier
DISCLAIMER = "ecrcost test data in the layout of AWS's offer files: made-up SKUs, the bundled book's prices"
VERSION, PUBLISHED = "20261101000000", "2026-11-01T00:00:00Z"


def sku(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:16].upper()


def product(
    offer: str,
    family: str,
    attributes: dict[str, str],
    dims: list[tuple[str, str | None, str, str]],
    version: str = VERSION,
    published: str = PUBLISHED,
) -> dict[str, Any]:
    """One GetProducts element: ``dims`` are (beginRange, endRange or None for "Inf", unit, USD)."""
    code = sku(offer, attributes["usagetype"], attributes.get("toRegionCode", ""))
    term = f"{code}.{ON_DEMAND}"
    dimensions = {}
    for (begin, end, unit, usd), rate in zip(dims, RATE_CODES, strict=False):
        rate_code = f"{term}.{rate}"
        dimensions[rate_code] = {
            "rateCode": rate_code,
            "description": f"${usd} per {unit}",  # never read: matching is by attributes
            "beginRange": begin,
            "endRange": "Inf" if end is None else end,
            "unit": unit,
            "pricePerUnit": {"USD": usd},
            "appliesTo": [],
        }
    return {
        "product": {
            "productFamily": family,
            "attributes": {"servicecode": offer, **attributes},
            "sku": code,
        },
        "serviceCode": offer,
        "terms": {
            "OnDemand": {
                term: {
                    "priceDimensions": dimensions,
                    "sku": code,
                    "effectiveDate": published,
                    "offerTermCode": ON_DEMAND,
                    "termAttributes": {},
                }
            }
        },
        "version": version,
        "publicationDate": published,
    }


def _tiers(item: dict[str, Any], unit: str) -> list[tuple[str, str | None, str, str]]:
    if "tiers" not in item:
        return [("0", None, unit, str(item["value"]))]
    out, lower = [], "0"
    for t in item["tiers"]:
        out.append((lower, t["up_to_gb"], unit, str(t["usd_per_gb"])))
        lower = t["up_to_gb"]
    return out


def catalogue(
    doc: dict[str, Any] | None = None, regions: list[str] | None = None, **publication: str
) -> list[dict[str, Any]]:
    """Price List products priced as ``doc`` (default: the bundled book) prices ``regions`` (default:
    all of the book's) and ECR Public. In us-east-1 the standard storage and internet usage types carry
    no region prefix, as AWS writes them."""
    if doc is None:
        from ecrcost.core.pricebook import _bundled_doc

        doc = json.loads(_bundled_doc())
    book = doc["regions"]
    out = []
    for code in regions or list(book):
        s = book[code]
        prefix = s["billing_code"] + "-"
        plain = "" if code == "us-east-1" else prefix
        where = {"location": s["name"], "locationType": "AWS Region", "regionCode": code}
        ecr = [
            (f"{plain}TimedStorage-ByteHrs", "storage", "GB-Mo"),
            (f"{prefix}TimedStorage-Archive-ByteHrs", "archive_storage", "GB-Mo"),
            (f"{prefix}Retrieval-Archive", "archive_retrieval", "GB"),
        ]
        for usage, item, unit in ecr:
            out.append(product("AmazonECR", "EC2 Container Registry",
                               {**where, "usagetype": usage, "operation": ""},
                               _tiers(s[item], unit), **publication))  # fmt: skip
        out.append(
            product(
                "AWSDataTransfer",
                "Data Transfer",
                {
                    "transferType": "AWS Outbound",
                    "fromLocation": s["name"],
                    "fromRegionCode": code,
                    "toLocation": "External",
                    "usagetype": f"{plain}DataTransfer-Out-Bytes",
                },
                _tiers(s["internet_out"], "GB"),
                **publication,
            )
        )
        inter = s["inter_region_out"]
        for dest in regions or list(book):
            if dest == code:
                continue
            rate = inter.get("pairs", {}).get(dest, inter["value"])
            out.append(
                product(
                    "AWSDataTransfer",
                    "Data Transfer",
                    {
                        "transferType": "InterRegion Outbound",
                        "fromLocation": s["name"],
                        "fromRegionCode": code,
                        "toLocation": book[dest]["name"],
                        "toRegionCode": dest,
                        "usagetype": f"{prefix}{book[dest]['billing_code']}-AWS-Out-Bytes",
                    },
                    [("0", None, "GB", str(rate))],
                    **publication,
                )
            )
    public = doc["public"]
    where = {"location": "US East (N. Virginia)", "locationType": "AWS Region", "regionCode": "us-east-1"}
    out.append(product("AmazonECRPublic", "EC2 Container Registry",
                       {**where, "usagetype": "USE1-TimedStorage-ByteHrs"},
                       _tiers(public["storage"], "GB-Mo"), **publication))  # fmt: skip
    out.append(product("AmazonECRPublic", "Data Transfer",
                       {**where, "transferType": "AWS Outbound", "usagetype": "USE1-DataTransfer-Out-Bytes"},
                       _tiers(public["internet_out"], "GB"), **publication))  # fmt: skip
    return out


def priced(products: list[dict[str, Any]], usage_type: str, usd: str) -> list[dict[str, Any]]:
    """``products`` with every dimension of the product of ``usage_type`` at ``usd``."""
    out = json.loads(json.dumps(products))
    hits = 0
    for p in out:
        if p["product"]["attributes"]["usagetype"] == usage_type:
            for term in p["terms"]["OnDemand"].values():
                for d in term["priceDimensions"].values():
                    d["pricePerUnit"]["USD"] = usd
                    hits += 1
    assert hits, usage_type
    return out


class Server:
    """``GetProducts`` over HTTP. ``throttle``: the first n requests answer ThrottlingException (400);
    ``fail``: every request answers InternalErrorException (500); ``page_size``: products per page.
    ``requests``: the bodies received."""

    def __init__(self, products: list[dict[str, Any]], page_size: int = 50) -> None:
        self.products = products
        self.page_size = page_size
        self.throttle = 0
        self.fail = False
        self.throttled = 0
        self.requests: list[dict[str, Any]] = []
        self.targets: list[str] = []  # X-Amz-Target of each request
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
                status, answer = server.answer(self.headers.get("X-Amz-Target", ""), body)
                raw = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def answer(self, target: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.requests.append(body)
            self.targets.append(target)
            if self.fail:
                return 500, {"__type": "InternalErrorException", "Message": "An internal error occurred"}
            if self.throttled < self.throttle:
                self.throttled += 1
                return 400, {"__type": "ThrottlingException", "Message": "Rate exceeded"}
        if target != "AWSPriceListService.GetProducts":
            return 400, {"__type": "InvalidParameterException", "Message": f"unknown operation {target}"}
        wanted = {f["Field"]: f["Value"] for f in body.get("Filters", [])}
        found = [
            p
            for p in self.products
            if p["serviceCode"] == body["ServiceCode"]
            and all(p["product"]["attributes"].get(k) == v for k, v in wanted.items())
        ]
        start = int(body.get("NextToken") or 0)
        page = found[start : start + self.page_size]
        answer: dict[str, Any] = {"FormatVersion": "aws_v1", "PriceList": [json.dumps(p) for p in page]}
        if start + self.page_size < len(found):
            answer["NextToken"] = str(start + self.page_size)
        return 200, answer


def write_offers(root: Path, products: list[dict[str, Any]]) -> Path:
    """The bulk offer files of ``products`` under ``root`` (standing for ``/offers/v1.0/aws/``): the
    offer index, each offer's region index, one offer file per offer and region."""
    base = "/offers/v1.0/aws"
    files: dict[tuple[str, str], dict[str, Any]] = {}
    for p in products:
        offer, attrs = p["serviceCode"], p["product"]["attributes"]
        region = attrs.get("regionCode") or attrs["fromRegionCode"]
        f = files.setdefault(
            (offer, region),
            {"formatVersion": "v1.0", "disclaimer": DISCLAIMER, "offerCode": offer, "version": p["version"],
             "publicationDate": p["publicationDate"], "products": {}, "terms": {"OnDemand": {}}},
        )  # fmt: skip
        code = p["product"]["sku"]
        f["products"][code] = p["product"]
        f["terms"]["OnDemand"][code] = p["terms"]["OnDemand"]
    offers: dict[str, dict[str, Any]] = {}
    for (offer, region), f in files.items():
        url = f"{base}/{offer}/{f['version']}/{region}/index.json"
        path = root / url.removeprefix(base + "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(f, indent=1))
        offers.setdefault(offer, {})[region] = {"regionCode": region, "currentVersionUrl": url}
    index = {"formatVersion": "v1.0", "disclaimer": DISCLAIMER, "publicationDate": PUBLISHED, "offers": {}}
    for offer, regions in offers.items():
        (root / offer / "current").mkdir(parents=True, exist_ok=True)
        (root / offer / "current" / "region_index.json").write_text(
            json.dumps(
                {
                    "formatVersion": "v1.0",
                    "disclaimer": DISCLAIMER,
                    "publicationDate": PUBLISHED,
                    "regions": regions,
                },
                indent=1,
            )
        )
        index["offers"][offer] = {
            "offerCode": offer,
            "versionIndexUrl": f"{base}/{offer}/index.json",
            "currentVersionUrl": f"{base}/{offer}/current/index.json",
            "currentRegionIndexUrl": f"{base}/{offer}/current/region_index.json",
        }
    (root / "index.json").write_text(json.dumps(index, indent=1))
    return root
