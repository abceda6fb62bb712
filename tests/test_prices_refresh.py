"""``ecrcost prices refresh`` against a local AWS Price List (tests/pricelist_server.py: GetProducts over
HTTP through boto3, and the bulk offer files in a folder), and ``prices diff``."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pricelist_server import Server, catalogue, priced, write_offers
from typer.testing import CliRunner

from ecrcost.cli import app
from ecrcost.core.pricebook import load_pricebook

runner = CliRunner()
SAMPLE = Path(__file__).parent.parent / "data" / "sample-registry"
REGIONS = ["us-east-1", "us-east-2", "eu-west-1"]  # the sample's regions, a destination, and a spare


@pytest.fixture
def aws(monkeypatch):
    for k, v in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


@pytest.fixture
def server(aws):
    servers: list[Server] = []

    def start(products):
        servers.append(Server(products))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


def refresh(url: str, out: Path, *args: str):
    regions = [a for r in REGIONS for a in ("--region", r)]
    return runner.invoke(app, ["prices", "refresh", "--endpoint-url", url, "-o", str(out), *regions, *args])


def estimate(prices: Path | None = None) -> dict:
    extra = ["--prices", str(prices)] if prices else []
    result = runner.invoke(app, ["estimate", str(SAMPLE), "--month", "2026-10", "-f", "json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_book_refreshed_from_equal_prices_prices_the_sample_to_the_same_cents(server, tmp_path):
    s = server(catalogue(regions=REGIONS))
    out = tmp_path / "book.json"
    result = refresh(s.url, out)
    assert result.exit_code == 0, result.output
    assert "0 products not recognised" in result.stderr
    bundled, fresh = estimate(), estimate(out)
    assert any("Unverified (R) prices" in n for n in bundled["notes"])  # eu-west-1 storage, bundled
    assert not any("Unverified" in n for n in fresh["notes"])
    assert fresh["total_usd"] == bundled["total_usd"] > 0
    assert [r["total_usd"] for r in fresh["repositories"]] == [
        r["total_usd"] for r in bundled["repositories"]
    ]
    book = json.loads(out.read_text())
    assert fresh["assumptions"]["price_book"]["hash"] == book["book"]["hash"]
    assert bundled["assumptions"]["price_book"]["hash"] != book["book"]["hash"]
    # Every figure the refresh sought in the asked regions is now confidence V, with provenance.
    table = load_pricebook(out).table()
    sought = table[table["region"].isin([*REGIONS, "public"]) & table["item"].str.match(
        r"^(storage|archive_storage|archive_retrieval|internet_out|inter_region_out)")]  # fmt: skip
    assert set(sought["confidence"]) == {"V"}
    east = book["regions"]["us-east-1"]
    assert east["storage"]["provenance"][0]["offer"] == "AmazonECR"
    assert east["storage"]["provenance"][0]["rate_code"].endswith(".JRTCKXETXF.6YS6EN2CT7")
    assert east["storage"]["usage_type"] == "TimedStorage-ByteHrs"  # AWS writes it without USE1- there
    # Usage types on the lines are the Price List's.
    types = {item["usage_type"] for item in fresh["line_items"]}
    assert "TimedStorage-ByteHrs" in types and "USE1-TimedStorage-ByteHrs" not in types
    assert "USE1-EU-AWS-Out-Bytes" in types


def test_tiers_end_open_where_aws_writes_inf(server, tmp_path):
    s = server(catalogue(regions=REGIONS))
    out = tmp_path / "book.json"
    assert refresh(s.url, out).exit_code == 0
    east = json.loads(out.read_text())["regions"]["us-east-1"]
    assert [t["up_to_gb"] for t in east["internet_out"]["tiers"]] == ["10240", "51200", "153600", None]
    assert [t["usd_per_gb"] for t in east["internet_out"]["tiers"]] == ["0.09", "0.085", "0.07", "0.05"]
    assert [t["up_to_gb"] for t in east["archive_storage"]["tiers"]] == ["153600", None]
    assert len(east["internet_out"]["provenance"]) == 4  # one rate code per tier


def test_a_changed_price_reprices_the_sample_to_the_new_cents(server, tmp_path):
    bundled = estimate()
    eu_storage = [i for i in bundled["line_items"] if i["usage_type"] == "EU-TimedStorage-ByteHrs"]
    assert eu_storage
    s = server(priced(catalogue(regions=REGIONS), "EU-TimedStorage-ByteHrs", "0.1200000000"))
    out = tmp_path / "book.json"
    assert refresh(s.url, out).exit_code == 0
    fresh = estimate(out)
    changed = [i for i in fresh["line_items"] if i["usage_type"] == "EU-TimedStorage-ByteHrs"]
    for old, new in zip(eu_storage, changed, strict=True):
        assert new["quantity"] == old["quantity"] and D(str(old["unit_price_usd"])) == D("0.10")
        assert D(str(new["unit_price_usd"])) == D("0.12")
        assert D(str(new["cost_usd"])) == (D(str(new["quantity"])) * D("0.12")).quantize(D("0.000001"))
    delta = sum(D(str(i["quantity"])) * D("0.02") for i in eu_storage)
    assert abs(D(str(fresh["total_usd"])) - D(str(bundled["total_usd"])) - delta) < D("0.00001")


def test_prices_diff_names_the_change_and_what_it_does_to_an_estimate(server, tmp_path):
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    s = server(catalogue(regions=REGIONS))
    assert refresh(s.url, old).exit_code == 0
    december = catalogue(regions=REGIONS, version="20261201000000", published="2026-12-01T00:00:00Z")
    s.products = priced(december, "DataTransfer-Out-Bytes", "0.1")
    assert refresh(s.url, new).exit_code == 0
    result = runner.invoke(app, ["prices", "diff", str(old), str(new), "--input", str(SAMPLE),
                                 "--month", "2026-10", "-f", "json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    changed = {(f["region"], f["item"], f["tier"]): f for f in doc["figures"]}
    tiers = ("0–10240 GB", "10240–51200 GB", "51200–153600 GB", "over 153600 GB")
    assert set(changed) == {("us-east-1", "internet_out", t) for t in tiers}
    assert changed["us-east-1", "internet_out", "0–10240 GB"]["old_usd"] == "0.09"
    assert changed["us-east-1", "internet_out", "0–10240 GB"]["new_usd"] == "0.1"
    assert doc["new"]["version"].endswith("20261201000000")
    before = estimate(old)
    east_gb = sum(
        D(str(i["quantity"])) for i in before["line_items"] if i["usage_type"] == "DataTransfer-Out-Bytes"
    )
    assert east_gb > 0
    assert abs(D(doc["estimate"]["change_usd"]) - east_gb * D("0.01")) < D("0.0001")


def test_an_unknown_product_is_listed_and_the_book_still_written(server, tmp_path):
    products = catalogue(regions=REGIONS)
    odd = json.loads(json.dumps(products[0]))
    odd["product"]["attributes"]["usagetype"] = "USE1-Made-Up-Meter"  # not a product of ours
    odd["product"]["sku"] = "MADEUPSKU0000001"
    s = server([*products, odd])
    out = tmp_path / "book.json"
    result = refresh(s.url, out)
    assert result.exit_code == 0, result.output
    assert "1 products not recognised" in result.stderr
    assert "not recognised: AmazonECR MADEUPSKU0000001 USE1-Made-Up-Meter" in result.stderr
    assert out.is_file()


def test_a_region_absent_from_the_answer_keeps_its_figures_and_exits_3(server, tmp_path):
    products = [p for p in catalogue(regions=REGIONS)
                if "us-east-2" not in (p["product"]["attributes"].get("regionCode"),
                                       p["product"]["attributes"].get("fromRegionCode"))]  # fmt: skip
    s = server(products)
    out = tmp_path / "book.json"
    result = refresh(s.url, out)
    assert result.exit_code == 3
    assert result.stderr.strip().splitlines()[-1] == (
        "error: regions absent from the Price List answer (their figures kept): us-east-2"
    )
    assert "kept: us-east-2.storage: region absent from the Price List answer" in result.stderr
    book = load_pricebook(out)
    assert book.doc["regions"]["us-east-2"]["storage"]["confidence"] == "R"  # the bundled figure
    assert book.doc["regions"]["eu-west-1"]["storage"]["confidence"] == "V"


@pytest.mark.slow
def test_throttling_is_retried(server, tmp_path):
    s = server(catalogue(regions=["us-east-1"]))
    s.throttle = 2
    out = tmp_path / "book.json"
    result = runner.invoke(app, ["prices", "refresh", "--endpoint-url", s.url, "-o", str(out),
                                 "--region", "us-east-1"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert s.throttled == 2
    assert json.loads(out.read_text())["regions"]["us-east-1"]["storage"]["confidence"] == "V"


def test_a_failed_download_exits_3_in_one_line_and_leaves_the_old_book(server, tmp_path):
    s = server(catalogue(regions=["us-east-1"]))
    s.fail = True
    out = tmp_path / "book.json"
    out.write_text("the old book\n")
    result = runner.invoke(app, ["prices", "refresh", "--endpoint-url", s.url, "-o", str(out),
                                 "--region", "us-east-1", "--max-attempts", "1"])  # fmt: skip
    assert result.exit_code == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: Price List GetProducts AmazonECR us-east-1")
    assert lines[0].endswith("no price book written")
    assert out.read_text() == "the old book\n"


def test_bulk_offer_files_give_the_same_book_as_the_api(server, tmp_path):
    products = catalogue(regions=REGIONS)
    s = server(products)
    api, bulk = tmp_path / "api.json", tmp_path / "bulk.json"
    assert refresh(s.url, api).exit_code == 0
    folder = write_offers(tmp_path / "offers", products)
    result = runner.invoke(app, ["prices", "refresh", "--offers", str(folder), "-o", str(bulk),
                                 *[a for r in REGIONS for a in ("--region", r)]])  # fmt: skip
    assert result.exit_code == 0, result.output
    a, b = json.loads(api.read_text()), json.loads(bulk.read_text())
    assert a["regions"] == b["regions"] and a["public"] == b["public"]
    if a["book"]["date"] == b["book"]["date"]:  # (not across midnight UTC: the date is in the book)
        assert a["book"]["hash"] == b["book"]["hash"]


def test_a_missing_offer_file_is_one_line_naming_it(aws, tmp_path):
    folder = write_offers(tmp_path / "offers", catalogue(regions=["us-east-1"]))
    (folder / "AmazonECR" / "current" / "region_index.json").unlink()
    out = tmp_path / "book.json"
    result = runner.invoke(app, ["prices", "refresh", "--offers", str(folder), "-o", str(out),
                                 "--region", "us-east-1"])  # fmt: skip
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "region_index.json" in result.stderr and "offer file not found" in result.stderr
    assert not out.exists()


def test_a_book_changed_after_it_was_written_is_refused(server, tmp_path):
    s = server(catalogue(regions=["us-east-1"]))
    out = tmp_path / "book.json"
    assert runner.invoke(app, ["prices", "refresh", "--endpoint-url", s.url, "-o", str(out),
                               "--region", "us-east-1"]).exit_code == 0  # fmt: skip
    out.write_text(out.read_text().replace('"0.09"', '"0.01"', 1))
    result = runner.invoke(app, ["prices", "--prices", str(out)])
    assert result.exit_code == 2
    assert "book.hash does not match the content" in result.stderr


def test_an_unknown_region_is_refused_with_a_hint(aws, tmp_path):
    result = runner.invoke(
        app, ["prices", "refresh", "--region", "eu-wset-1", "-o", str(tmp_path / "b.json")]
    )
    assert result.exit_code == 2
    assert "did you mean 'eu-west-1'" in result.stderr and "--region" in result.stderr


def test_focus_export_carries_the_price_list_sku_and_rate_code(server, tmp_path):
    s = server(catalogue(regions=REGIONS))
    out = tmp_path / "book.json"
    assert refresh(s.url, out).exit_code == 0
    result = runner.invoke(app, ["export", str(SAMPLE), "--format", "focus", "--month", "2026-10",
                                 "--prices", str(out), "--account-id", "111122223333"])  # fmt: skip
    assert result.exit_code == 0, result.output
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    book = json.loads(out.read_text())
    storage = [r for r in rows if r["x_UsageType"] == "TimedStorage-ByteHrs"]
    assert storage
    ref = book["regions"]["us-east-1"]["storage"]["provenance"][0]
    assert {(r["SkuId"], r["SkuPriceId"]) for r in storage} == {(ref["sku"], ref["rate_code"])}
    assert all(r["x_PriceBook"].endswith(book["book"]["hash"]) for r in rows)


def test_every_region_of_the_bundled_book_has_storage_internet_tiers_and_inter_region_rates():
    result = runner.invoke(app, ["prices", "-f", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    regions = {r["region"] for r in rows} - {"public"}
    assert len(regions) >= 35
    for region in sorted(regions):
        mine = [r for r in rows if r["region"] == region]
        items = {r["item"] for r in mine}
        assert "storage" in items, region
        assert "inter_region_out" in items, region
        tiers = [r["tier"] for r in mine if r["item"] == "internet_out"]
        assert len(tiers) >= 2 and tiers[-1].startswith("over "), region  # tiers, the last open
        assert all(D(str(r["price"])) > 0 for r in mine if r["item"] in ("storage", "inter_region_out")), (
            region
        )


def test_the_example_offer_folder_is_what_the_fixture_builder_writes(tmp_path):
    example = Path(__file__).parent.parent / "data" / "examples" / "offers"
    fresh = write_offers(tmp_path / "offers", catalogue(regions=REGIONS))
    mine = sorted(p.relative_to(fresh) for p in fresh.rglob("*.json"))
    assert mine == sorted(p.relative_to(example) for p in example.rglob("*.json"))
    for rel in mine:
        assert json.loads((fresh / rel).read_text()) == json.loads((example / rel).read_text()), rel


def test_a_region_refreshed_alone_keeps_the_pair_rates_its_answer_lacks(aws, tmp_path):
    example = Path(__file__).parent.parent / "data" / "examples" / "offers"
    out = tmp_path / "book.json"
    result = runner.invoke(app, ["prices", "refresh", "--offers", str(example), "--region", "eu-west-1",
                                 "-o", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    inter = json.loads(out.read_text())["regions"]["eu-west-1"]["inter_region_out"]
    assert inter["value"] == "0.02" and inter["confidence"] == "V"
    assert {r["to"] for r in inter["provenance"]} == {"us-east-1", "us-east-2"}


def test_refresh_sends_nothing_but_get_products_and_declares_it(server, tmp_path):
    from ecrcost.sources.collect.permissions import OPERATIONS

    s = server(catalogue(regions=["us-east-1"]))
    s.page_size = 2  # AmazonECR answers 3 products in us-east-1: two pages, NextToken followed
    out = tmp_path / "book.json"
    result = runner.invoke(app, ["prices", "refresh", "--endpoint-url", s.url, "-o", str(out),
                                 "--region", "us-east-1"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert set(s.targets) == {"AWSPriceListService.GetProducts"}
    assert any(r.get("NextToken") for r in s.requests)
    assert OPERATIONS["pricing", "GetProducts"].action == "pricing:GetProducts"
    book = json.loads(out.read_text())
    assert book["book"]["regions_refreshed"] == ["us-east-1"]
    # A catalogue of one region has no transfer to other regions: kept, and the book says so.
    assert book["book"]["kept"] == [
        "us-east-1.inter_region_out: not in the Price List answer; the book's figure is kept"
    ]


def _one(dims, unit="GB-Mo", usage="EU-TimedStorage-ByteHrs"):
    from pricelist_server import product

    from ecrcost.sources.pricelist.offers import _product

    p = product("AmazonECR", "EC2 Container Registry",
                {"regionCode": "eu-west-1", "usagetype": usage}, dims)  # fmt: skip
    return _product("AmazonECR", p["product"], p["terms"]["OnDemand"], p["version"], p["publicationDate"])


def test_price_dimensions_must_run_from_0_to_inf_without_gaps():
    from ecrcost.sources.pricelist.mapping import ShapeError, dimensions

    ok = dimensions(_one([("153600", None, "GB-Mo", "0.07"), ("0", "153600", "GB-Mo", "0.10")]))
    assert [(d.begin, d.end, d.usd) for d in ok] == [(0, D(153600), D("0.10")), (D(153600), None, D("0.07"))]
    with pytest.raises(ShapeError, match="begins at 100"):
        dimensions(_one([("0", "50", "GB-Mo", "0.1"), ("100", None, "GB-Mo", "0.07")]))
    with pytest.raises(ShapeError, match="not Inf"):
        dimensions(_one([("0", "50", "GB-Mo", "0.1")]))


def test_products_are_placed_by_attributes_with_or_without_the_region_prefix():
    from ecrcost.sources.pricelist.mapping import Place, place

    codes = {"us-east-1": "USE1", "eu-west-1": "EU"}
    assert place(_one([("0", None, "GB-Mo", "0.1")]), codes) == Place("eu-west-1", "storage")
    bare = _one([("0", None, "GB-Mo", "0.1")], usage="TimedStorage-ByteHrs")
    assert place(bare, codes) == Place("eu-west-1", "storage")
    assert place(_one([("0", None, "GB", "0.1")], usage="EU-Made-Up"), codes) is None


def test_a_free_first_tier_is_left_to_the_allowance_options(server, tmp_path):
    products = catalogue(regions=["us-east-1"])
    internet = next(
        p for p in products if p["product"]["attributes"]["usagetype"] == "DataTransfer-Out-Bytes"
    )
    term = next(iter(internet["terms"]["OnDemand"].values()))
    dims = sorted(term["priceDimensions"].values(), key=lambda d: D(d["beginRange"]))
    dims[0]["beginRange"] = "100"  # 0-100 GB free, written as a tier of its own
    term["priceDimensions"]["FREE.JRTCKXETXF.FREE"] = {
        "rateCode": "FREE.JRTCKXETXF.FREE", "description": "", "beginRange": "0", "endRange": "100",
        "unit": "GB", "pricePerUnit": {"USD": "0.0000000000"}, "appliesTo": [],
    }  # fmt: skip
    s = server(products)
    out = tmp_path / "book.json"
    result = runner.invoke(app, ["prices", "refresh", "--endpoint-url", s.url, "-o", str(out),
                                 "--region", "us-east-1"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "note: us-east-1.internet_out: the Price List's free first 100 GB" in result.stderr
    tiers = json.loads(out.read_text())["regions"]["us-east-1"]["internet_out"]["tiers"]
    assert tiers[0] == {"up_to_gb": "10240", "usd_per_gb": "0.09"}


def test_aws_endpoint_url_pricing_is_honoured(server, tmp_path, monkeypatch):
    s = server(catalogue(regions=["us-east-1"]))
    monkeypatch.setenv("AWS_ENDPOINT_URL_PRICING", s.url)
    out = tmp_path / "book.json"
    result = runner.invoke(app, ["prices", "refresh", "-o", str(out), "--region", "us-east-1"])
    assert result.exit_code == 0, result.output
    assert s.requests and json.loads(out.read_text())["regions"]["us-east-1"]["storage"]["confidence"] == "V"


def test_a_destination_the_book_lacks_is_listed_not_priced(server, tmp_path):
    products = catalogue(regions=REGIONS)
    ohio = next(p for p in products if p["product"]["attributes"].get("toRegionCode") == "us-east-2")
    zone = json.loads(json.dumps(ohio))
    zone["product"]["attributes"].update(
        toRegionCode="us-east-1-bos-1", usagetype="USE1-USE1-BOS1-AWS-Out-Bytes"
    )
    zone["product"]["sku"] = "LOCALZONESKU0001"
    s = server([*products, zone])
    out = tmp_path / "book.json"
    result = refresh(s.url, out)
    assert result.exit_code == 0, result.output
    assert (
        "LOCALZONESKU0001" in result.stderr
        and "destination us-east-1-bos-1 is not in the book" in result.stderr
    )
    assert (
        "us-east-1-bos-1"
        not in json.loads(out.read_text())["regions"]["us-east-1"]["inter_region_out"]["pairs"]
    )


@pytest.mark.slow
def test_a_full_refresh_covers_every_region_of_the_book_with_v_figures(server, tmp_path):
    s = server(catalogue())
    out = tmp_path / "book.json"
    result = runner.invoke(app, ["prices", "refresh", "--endpoint-url", s.url, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "0 kept from the bundled book, 0 products not recognised" in result.stderr
    table = load_pricebook(out).table()
    sought = table[~table["item"].str.match(r"^(nat_gateway|interface_endpoint|.*_free_gb)")]
    assert len(sought) > 300 and set(sought["confidence"]) == {"V"}
    assert estimate(out)["total_usd"] == estimate()["total_usd"]


class _Listed:
    """Products in memory, filtered as GetProducts filters them: the refresh's input, not a stand-in
    for anything it does."""

    def __init__(self, products):
        self.listed = products

    def products_of(self, offer, match):
        for p in self.listed:
            attrs = p["product"]["attributes"]
            if p["serviceCode"] == offer and all(attrs.get(k) == v for k, v in match.items()):
                yield p

    def products(self, offer, region, match):
        from ecrcost.sources.pricelist.offers import _product

        for p in self.products_of(offer, match):
            yield _product(offer, p["product"], p["terms"]["OnDemand"], p["version"], p["publicationDate"])


_price = st.decimals(min_value=D("0.0001"), max_value=D("9.9999"), places=4)


@given(storage=_price, retrieval=_price, internet=st.lists(_price, min_size=4, max_size=4),
       archive=st.lists(_price, min_size=2, max_size=2), default=_price, pair=_price)  # fmt: skip
def test_any_prices_come_back_from_the_price_list_as_they_went_in(
    storage, retrieval, internet, archive, default, pair
):
    from ecrcost.core.pricebook import _bundled_doc
    from ecrcost.sources.pricelist.refresh import refresh

    bundled = json.loads(_bundled_doc())
    wanted = json.loads(_bundled_doc())
    east = wanted["regions"]["us-east-1"]
    east["storage"]["value"] = str(storage)
    east["archive_retrieval"]["value"] = str(retrieval)
    for tier, usd in zip(east["internet_out"]["tiers"], internet, strict=True):
        tier["usd_per_gb"] = str(usd)
    for tier, usd in zip(east["archive_storage"]["tiers"], archive, strict=True):
        tier["usd_per_gb"] = str(usd)
    east["inter_region_out"]["value"] = str(default)
    east["inter_region_out"]["pairs"] = {"us-east-2": str(pair)}
    regions = ["us-east-1", "us-east-2", "eu-west-1", "eu-west-2"]  # three destinations: a majority
    got = refresh(bundled, _Listed(catalogue(wanted, regions)), regions, "2026-11-28").doc["regions"][
        "us-east-1"
    ]
    assert D(got["storage"]["value"]) == storage and D(got["archive_retrieval"]["value"]) == retrieval
    assert [D(t["usd_per_gb"]) for t in got["internet_out"]["tiers"]] == internet
    assert [t["up_to_gb"] for t in got["internet_out"]["tiers"]] == ["10240", "51200", "153600", None]
    assert [D(t["usd_per_gb"]) for t in got["archive_storage"]["tiers"]] == archive
    rate = {d: D(got["inter_region_out"]["pairs"].get(d, got["inter_region_out"]["value"]))
            for d in ("us-east-2", "eu-west-1", "eu-west-2")}  # fmt: skip
    assert rate == {"us-east-2": pair, "eu-west-1": default, "eu-west-2": default}
