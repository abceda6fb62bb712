"""AWS's billing rules, each with a month computed by hand from AWS's own documentation
(docs/pricing.md quotes it). The arithmetic is in the comments."""

from __future__ import annotations

import json
from decimal import Decimal as D

from conftest import write_csv
from factories import GiB, Inventory
from typer.testing import CliRunner

import ecrcost
from ecrcost.cli import app

A1, A2 = "111111111111", "222222222222"
runner = CliRunner()

# --- 1. Billing scope: one consolidated bill, or accounts that stand alone ------------------------------

TWO_ACCOUNTS = [
    {"repository": "app", "account_id": A1, "storage_gb": "120000", "storage_class": "archive",
     "internet_out_gb": "6000"},
    {"repository": "app", "account_id": A2, "storage_gb": "120000", "storage_class": "archive",
     "internet_out_gb": "6000"},
]  # fmt: skip


def test_a_consolidated_bill_pools_every_tier_across_accounts(scenario):
    est = scenario(TWO_ACCOUNTS)  # --billing organization, the default
    # archive 240,000 GB-month: 153,600 x $0.10 + 86,400 x $0.07 = 15,360.00 + 6,048.00 = 21,408.00
    # internet 12,000 GB: 10,240 x $0.09 + 1,760 x $0.085 = 921.60 + 149.60 = 1,071.20
    assert est.storage_usd == D("21408.00") and est.transfer_usd == D("1071.20")
    assert est.total_usd == D("22479.20")
    assert est.assumptions["billing"] == "organization"
    assert any("pooled over 2 accounts" in n for n in est.notes)


def test_accounts_that_stand_alone_each_start_at_the_first_tier(scenario):
    est = scenario(TWO_ACCOUNTS, billing="account")
    # each: 120,000 x $0.10 = 12,000.00 archive + 6,000 x $0.09 = 540.00 internet; two accounts
    assert est.total_usd == D("25080.00")


def test_the_report_tier_table_names_each_accounts_pool(tmp_path):
    rows = [{**r, "storage_gb": "0", "storage_class": "standard"} for r in TWO_ACCOUNTS]
    path = write_csv(tmp_path / "two.csv", rows)
    pooled = runner.invoke(app, ["report", str(path), "--month", "2026-10"])
    alone = runner.invoke(app, ["report", str(path), "--month", "2026-10", "--billing", "account"])
    assert pooled.exit_code == alone.exit_code == 0, pooled.output + alone.output
    tiers = [line.split() for line in alone.output.splitlines() if "$0.09/GB" in line]
    # one first-tier line per account, 6,000 GB each, and no second tier
    assert sorted(t[0] for t in tiers) == [A1, A2] and all("6,000.00" in t for t in tiers)
    assert "$0.085/GB" in pooled.output and "$0.085/GB" not in alone.output
    assert A1 not in [line.split()[0] for line in pooled.output.splitlines() if "$0.09/GB" in line]


def test_the_free_allowance_is_one_per_bill(scenario):
    rows = [{**r, "storage_gb": "0", "storage_class": "standard"} for r in TWO_ACCOUNTS]
    # one bill: (12,000 - 100 free) -> 10,140 x $0.09 + 1,760 x $0.085 = 912.60 + 149.60 = 1,062.20
    assert scenario(rows, free_internet_gb=100).total_usd == D("1062.20")
    # two bills of 6,000 GB, 100 GB free each: 2 x 5,900 x $0.09 = 1,062.00
    assert scenario(rows, free_internet_gb=100, billing="account").total_usd == D("1062.00")


# --- 2. No free allowance in GovCloud; China is a partition of its own ----------------------------------


def test_govcloud_never_receives_the_free_allowance(scenario):
    rows = [
        {"repository": "gov", "region": "us-gov-west-1", "storage_gb": "0", "internet_out_gb": "1000"},
        {"repository": "com", "region": "us-east-1", "storage_gb": "0", "internet_out_gb": "50"},
    ]
    est = scenario(rows, free_internet_gb=100)
    # GovCloud pays its first tier in full: 1,000 x $0.155 = 155.00; us-east-1's 50 GB are within the free
    # 100 (before: the allowance went to the highest first-tier rate, GovCloud's: 900 x 0.155 + 50 x 0.09)
    assert est.total_usd == D("155.00")
    assert any("100 GB (the bill's, across regions), 50 GB of it on ECR's egress" in n for n in est.notes)
    assert any("No free allowance in us-gov-west-1" in n for n in est.notes)


def test_a_china_region_is_refused_not_added_to_usd(tmp_path):
    path = write_csv(tmp_path / "s.csv", [{"repository": "app", "region": "cn-north-1", "storage_gb": "1"}])
    result = runner.invoke(app, ["estimate", str(path), "--month", "2026-10"])
    assert result.exit_code == 2 and "China partition" in result.stderr and "CNY" in result.stderr


# --- 3. ECR's egress shares its tiers with other services ------------------------------------------------


def test_other_services_egress_shares_the_tiers(scenario):
    rows = [{"repository": "app", "storage_gb": "0", "internet_out_gb": "6000"}]
    assert scenario(rows).transfer_usd == D("540.00")  # 6,000 x $0.09 alone
    # with 6,000 GB of other services: 12,000 GB cost 1,071.20 (above); ECR's share 6,000/12,000 = 535.60
    assert scenario(rows, other_internet_gb=["us-east-1=6000"]).transfer_usd == D("535.60")
    # and the 100 free GB are shared the same way: 1,062.20 / 2 = 531.10
    shared = scenario(rows, other_internet_gb=["6000"], free_internet_gb=100)
    assert shared.transfer_usd == D("531.10")
    assert shared.assumptions["other_internet_gb"] == [{"account_id": "", "region": "", "gb": D(6000)}]
    assert any("Other services' internet egress on the same bill (6,000 GB)" in n for n in shared.notes)


def test_other_egress_without_a_region_is_refused_when_ecr_egresses_from_several(tmp_path):
    rows = [
        {"repository": "app-a", "storage_gb": "0", "internet_out_gb": "10"},
        {"repository": "app-b", "region": "eu-west-1", "storage_gb": "0", "internet_out_gb": "10"},
    ]
    path = write_csv(tmp_path / "s.csv", rows)
    result = runner.invoke(app, ["estimate", str(path), "--month", "2026-10", "--other-internet-gb", "500"])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "option --other-internet-gb" in result.stderr and "REGION=GB" in result.stderr
    ok = runner.invoke(
        app,
        ["estimate", str(path), "--month", "2026-10", "--other-internet-gb", "eu-west-1=500", "-f", "json"],
    )
    assert (
        ok.exit_code == 0
        and json.loads(ok.stdout)["assumptions"]["other_internet_gb"][0]["region"] == "eu-west-1"
    )


# --- 4. Archive: the storage class follows the time line; the 90-day minimum ----------------------------


def test_an_image_archived_mid_month_is_standard_then_archive(inventory: Inventory):
    inventory.push("app", "v1", "2026-03-01T00:00:00Z", {"L": 6 * GiB}, status="ARCHIVED",
                   last_archived_at="2026-04-21T00:00:00Z")  # fmt: skip
    est = inventory.estimate("2026-04")
    by = dict(zip(est.lines["charge"], est.lines["cost"], strict=True))
    # April has 720 h: standard until the 21st = 480 h -> 6 GiB x 480/720 = 4 GB-month x $0.10 = 0.40
    # archive from the 21st = 240 h -> 2 GB-month x $0.10 = 0.20 (before: archive the whole month, 0.60)
    assert by["standard_storage"] == D("0.4") and by["archive_storage"] == D("0.2")
    assert any("1 image(s) moved to or from the archive during 2026-04" in n for n in est.notes)


def test_deleting_an_archived_image_before_90_days_pays_the_rest(inventory: Inventory):
    inventory.push("app", "v1", "2026-01-01T00:00:00Z", {"L": 20 * GiB}, status="ARCHIVED",
                   last_archived_at="2026-04-01T00:00:00Z", deleted_at="2026-04-16T00:00:00Z")  # fmt: skip
    est = inventory.estimate("2026-04")
    by = dict(zip(est.lines["charge"], est.lines["quantity"], strict=True))
    # stored in the archive 1-16 April: 15 days = 360 of 720 h -> 20 x 0.5 = 10 GB-month -> $1.00
    # 90 - 15 = 75 days remain = 1,800 h, charged in April: 20 x 1,800/720 = 50 GB-month -> $5.00
    assert by["archive_storage"] == 10 and by["archive_early_deletion"] == 50
    assert est.total_usd == D("6.00")  # not $1.00
    assert any("1 image(s) left the archive before its 90-day minimum" in n for n in est.notes)
    assert inventory.estimate("2026-05").total_usd == 0  # nothing stored, nothing more to pay
    early = est.lines[est.lines["charge"] == "archive_early_deletion"].iloc[0]
    assert early["usage_type"] == "USE1-EarlyDelete-Archive-ByteHrs" and early["unit_price"] == D("0.10")


def test_restoring_before_90_days_pays_the_rest_too(inventory: Inventory):
    inventory.push(
        "app", "v1", "2026-01-01T00:00:00Z", {"L": 9 * GiB},
        last_archived_at="2026-04-01T00:00:00Z", last_activated_at="2026-04-11T00:00:00Z",
    )  # fmt: skip
    est = inventory.estimate("2026-04")
    by = dict(zip(est.lines["charge"], est.lines["quantity"], strict=True))
    # archive 1-11 April = 240 h -> 9 x 240/720 = 3 GB-month; standard 11-30 April = 480 h -> 6 GB-month
    # 80 days remain = 1,920 h -> 9 x 1,920/720 = 24 GB-month
    assert (by["archive_storage"], by["standard_storage"], by["archive_early_deletion"]) == (3, 6, 24)
    assert est.total_usd == D("3.30")  # (3 + 6 + 24) x $0.10


def test_a_layer_shared_with_an_active_image_is_standard_only_while_that_image_is_stored(inventory):
    inventory.push("app", "old", "2026-01-01T00:00:00Z", {"base": 3 * GiB}, status="ARCHIVED")
    inventory.push("app", "new", "2026-01-02T00:00:00Z", {"base": 3 * GiB}, deleted_at="2026-04-16T00:00:00Z")
    est = inventory.estimate("2026-04")
    by = dict(zip(est.lines["charge"], est.lines["quantity"], strict=True))
    # standard while the active image holds it (1-16 April, half the month), archive the rest: 1.5 + 1.5
    assert by["standard_storage"] == D("1.5") and by["archive_storage"] == D("1.5")


# --- 5. Blob mounting: per registry, within one encryption key, never for pull-through cache -----------


def _shared(inventory: Inventory, region: str | None = None) -> None:
    for repo in ("alpha", "zeta"):
        inventory.push(repo, "v1", "2026-09-01T00:00:00Z", {"base": GiB}, region=region)


def test_blob_mounting_follows_what_collect_found_per_registry(inventory: Inventory):
    _shared(inventory)
    _shared(inventory, region="eu-west-1")
    inventory.registry("ENABLED")
    inventory.registry("DISABLED", region="eu-west-1")
    est = inventory.estimate("2026-10")  # --blob-mounting collected, the default
    gb = est.exact.groupby("region")["storage_gb_month"].sum()
    assert gb["us-east-1"] == 1 and gb["eu-west-1"] == 2  # stored once where enabled, twice where not
    registries = {r["region"]: r for r in est.assumptions["blob_mounting_registries"]}
    assert (
        registries["us-east-1"]["source"] == "collected: ENABLED" and registries["us-east-1"]["blob_mounting"]
    )
    assert est.assumptions["blob_mounting_in_effect"] == "on in 1 of 2 registries"
    assert any("Blob mounting applied where collect found it enabled: on in 1 of 2" in n for n in est.notes)
    assert inventory.estimate("2026-10", blob_mounting="on").exact["storage_gb_month"].sum() == 2
    assert inventory.estimate("2026-10", blob_mounting=False).exact["storage_gb_month"].sum() == 4


def test_an_unknown_setting_means_off(inventory: Inventory):
    _shared(inventory)
    est = inventory.estimate("2026-10")
    assert est.exact["storage_gb_month"].sum() == 2
    assert est.assumptions["blob_mounting_registries"][0]["source"] == "not collected: off"


def test_layers_are_shared_only_under_one_encryption_key(inventory: Inventory):
    for repo in ("alpha", "beta", "gamma"):
        inventory.push(repo, "v1", "2026-09-01T00:00:00Z", {"base": GiB})
    inventory.repository("alpha", encryption_type="KMS", kms_key="arn:aws:kms:us-east-1:1:key/a")
    inventory.repository("beta", encryption_type="KMS", kms_key="arn:aws:kms:us-east-1:1:key/a")
    inventory.repository("gamma", encryption_type="KMS", kms_key="arn:aws:kms:us-east-1:1:key/b")
    est = inventory.estimate("2026-10", blob_mounting="on")
    assert est.exact["storage_gb_month"].sum() == 2  # alpha + beta share one copy, gamma keeps its own


def test_a_pull_through_cache_repository_never_shares(inventory: Inventory):
    _shared(inventory)
    inventory.repository("zeta", pull_through_cache=True)
    assert inventory.estimate("2026-10", blob_mounting="on").exact["storage_gb_month"].sum() == 2


def test_a_shared_layer_is_charged_to_the_repository_that_pushed_it_first(inventory: Inventory):
    inventory.push("zeta", "v1", "2026-08-03T00:00:00Z", {"base": GiB})
    inventory.push("alpha", "v1", "2026-09-07T00:00:00Z", {"base": GiB})
    est = inventory.estimate("2026-10", blob_mounting="on")
    gb = dict(zip(est.exact["repository"], est.exact["storage_gb_month"], strict=True))
    # zeta pushed it in August, alpha in September: October's copy is zeta's (before: alpha's, by name)
    assert gb == {"zeta": 1}


def test_the_bare_option_means_on(inventory: Inventory):
    _shared(inventory)
    folder = inventory.write()
    doc = json.loads(runner.invoke(app, ["estimate", str(folder), "--blob-mounting", "--month", "2026-10",
                                         "-f", "json"]).stdout)  # fmt: skip
    assert (
        doc["assumptions"]["blob_mounting"] == "on" and doc["assumptions"]["blob_mounting_in_effect"] == "on"
    )


# --- 7. Where AWS's documents disagree, the other reading's amount is in the notes ----------------------


def test_cross_region_notes_the_both_sides_reading(scenario):
    rows = [{"repository": "app", "storage_gb": "0", "cross_region_out_gb": "1000",
             "destination_region": "eu-west-1"}]  # fmt: skip
    est = scenario(rows)
    # source-region rate: 1,000 x $0.02 = $20.00; "internet rates on both sides": 1,000 x (0.09 + 0.09)
    assert est.transfer_usd == D("20.00")
    note = next(n for n in est.notes if "both sides" in n)
    assert "$20.00" in note and "$180.00" in note


# --- 6. Every region where ECR is sold -------------------------------------------------------------------

# AWS's region billing codes (docs/pricing.md), for the regions added last
NEWEST = {"eu-central-2": "EUC2", "eu-south-2": "EUS2", "me-central-1": "MEC1", "ca-west-1": "CAN2",
          "ap-southeast-3": "APS4", "ap-southeast-4": "APS6", "ap-southeast-5": "APS7",
          "ap-southeast-7": "APS9", "ap-east-2": "APE2", "mx-central-1": "MXC1",
          "il-central-1": "ILC1"}  # fmt: skip


def test_every_region_where_ecr_is_sold_is_priced_and_honest_about_its_sources():
    book = ecrcost.load_pricebook()
    for code, billing in NEWEST.items():
        assert book.region(code).billing_code == billing, code
        assert book.region(code).storage > 0 and len(book.region(code).internet_tiers) == 4
    table = book.table()
    copied = table[table["region"].isin(["eu-central-2", "mx-central-1"])]
    assert set(copied["confidence"]) == {"R"}  # copied from a neighbour: never claimed as sourced


def test_a_region_the_price_book_lacks_stops_naming_it(tmp_path):
    path = write_csv(tmp_path / "s.csv", [{"repository": "app", "region": "xx-nowhere-1", "storage_gb": "1"}])
    result = runner.invoke(app, ["estimate", str(path), "--month", "2026-10"])
    assert result.exit_code == 2 and "xx-nowhere-1" in result.stderr and "--prices" in result.stderr
