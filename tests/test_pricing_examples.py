"""The worked examples of docs/pricing.md, with their expected dollars."""

from __future__ import annotations

from decimal import Decimal as D
from decimal import localcontext

import pytest
from factories import OCI_INDEX, GiB, MiB

from ecrcost.core.money import CONTEXT


def cents(value: D) -> D:
    return value.quantize(D("0.01"))


# --- A. Storage and proration ------------------------------------------------------------------------


def test_ex01_flat_full_month(inventory):
    inventory.push("app", "v1", "2026-01-01T00:00:00Z", {"L1": 100 * GiB})
    est = inventory.estimate("2026-03")
    assert est.exact["storage_gb_month"].iloc[0] == 100
    assert est.total_usd == D("10.000000")


def test_ex02_gb_is_binary(inventory):
    inventory.push("app", "v1", "2026-01-01T00:00:00Z", {"L1": 1_000_000_000})
    est = inventory.estimate("2026-03")
    assert est.exact["standard_storage_usd"].iloc[0] == D("0.0931322574615478515625")
    assert cents(est.total_usd) == D("0.09")


def test_ex03_mid_month_push_in_a_30_day_month(inventory):
    inventory.push("app", "v1", "2026-04-11T00:00:00Z", {"L1": 5 * GiB})
    est = inventory.estimate("2026-04")
    gb_month = est.exact["storage_gb_month"].iloc[0]
    assert gb_month.quantize(D("1e-20")) == D("3.33333333333333333333")
    assert est.total_usd == D("0.333333")  # a 730-hour month would give 0.328767


def test_ex04_size_change_mid_month(inventory):
    inventory.push("app", "v1", "2026-01-01T00:00:00Z", {"L1": 3 * GiB})
    inventory.push("app", "v2", "2026-05-11T00:00:00Z", {"L1": 3 * GiB, "L2": 5 * GiB})
    est = inventory.estimate("2026-05")
    assert est.exact["storage_gb_month"].iloc[0].quantize(D("1e-20")) == (D(4752) / D(744)).quantize(
        D("1e-20")
    )
    assert cents(est.total_usd) == D("0.64")
    assert est.total_usd == D("0.638710")


def test_ex05_february(inventory):
    inventory.push("app", "v1", "2026-02-15T00:00:00Z", {"L1": 10 * GiB})
    est = inventory.estimate("2026-02")
    assert est.exact["storage_gb_month"].iloc[0] == 5
    assert est.total_usd == D("0.5")


def test_ex06_aws_byte_hour_example_at_ecr_flat_rate(inventory):
    inventory.push(
        "data", "small", "2026-02-01T00:00:00Z", {"S": 107_374_182_400}, deleted_at="2026-03-16T00:00:00Z"
    )
    inventory.push("data", "big", "2026-03-16T00:00:00Z", {"B": 109_951_162_777_600})
    est = inventory.estimate("2026-03")
    assert est.exact["storage_gb_month"].iloc[0] == 52900
    assert est.total_usd == D("5290")  # flat; S3's tiers would give $1,215.00


def test_ex07_layer_timeline_with_deletion(inventory):
    inventory.push("app", "base", "2026-01-01T00:00:00Z", {"L1": 2 * GiB})
    inventory.push("app", "tmp", "2026-06-11T00:00:00Z", {"L2": 1 * GiB}, deleted_at="2026-06-21T00:00:00Z")
    inventory.push("app", "late", "2026-06-26T00:00:00Z", {"L3": 1 * GiB})
    est = inventory.estimate("2026-06")
    assert est.exact["storage_gb_month"].iloc[0] == D("2.5")
    assert est.total_usd == D("0.25")


# --- B. Deduplication ----------------------------------------------------------------------------------

B, DEPS = 600 * MiB, 300 * MiB


def test_ex08_shared_layers_within_one_repository(inventory):
    inventory.push("api", "v1", "2026-01-01T00:00:00Z", {"B": B, "D": DEPS, "a1": 100 * MiB})
    inventory.push("api", "v2", "2026-01-01T00:00:00Z", {"B": B, "D": DEPS, "a2": 120 * MiB})
    est = inventory.estimate("2026-03")
    assert est.exact["standard_storage_usd"].iloc[0] == D("0.109375")
    assert cents(est.total_usd) == D("0.11")


def test_ex08_without_layers_falls_back_to_image_sizes_and_says_so(inventory):
    inventory.push("api", "v1", "2026-01-01T00:00:00Z", {"B": B, "D": DEPS, "a1": 100 * MiB})
    inventory.push("api", "v2", "2026-01-01T00:00:00Z", {"B": B, "D": DEPS, "a2": 120 * MiB})
    est = inventory.estimate("2026-03", with_layers=False)
    assert est.exact["standard_storage_usd"].iloc[0] == D("0.197265625")
    assert any("over-counted" in n for n in est.notes)
    assert est.assumptions["storage_basis"] == "image sizes"


@pytest.mark.parametrize(("blob_mounting", "expected"), [(False, D("0.216796875")), (True, D("0.12890625"))])
def test_ex09_second_repository_with_and_without_blob_mounting(inventory, blob_mounting, expected):
    inventory.push("api", "v1", "2026-01-01T00:00:00Z", {"B": B, "D": DEPS, "a1": 100 * MiB})
    inventory.push("api", "v2", "2026-01-02T00:00:00Z", {"B": B, "D": DEPS, "a2": 120 * MiB})
    inventory.push("worker", "w1", "2026-01-03T00:00:00Z", {"B": B, "D": DEPS, "w": 200 * MiB})
    est = inventory.estimate("2026-03", blob_mounting=blob_mounting)
    assert sum(est.exact["standard_storage_usd"]) == expected
    if blob_mounting:  # the shared layers are charged to the repository that pushed them first
        by_repo = dict(zip(est.exact["repository"], est.exact["standard_storage_usd"], strict=True))
        assert by_repo["worker"] == D(200) / D(1024) * D("0.10")


def test_ex09_other_region_is_counted_again_even_with_blob_mounting(inventory):
    inventory.push("api", "v1", "2026-01-01T00:00:00Z", {"B": B, "D": DEPS, "a1": 100 * MiB})
    inventory.push(
        "api", "v1", "2026-01-01T00:00:00Z", {"B": B, "D": DEPS, "a1": 100 * MiB}, region="eu-west-1"
    )
    est = inventory.estimate("2026-03", blob_mounting=True)
    assert sum(est.exact["storage_gb_month"]) == 2 * D(1000) / D(1024)


@pytest.mark.parametrize("with_layers", [True, False])
def test_ex10_multi_arch_index(inventory, with_layers):
    index = inventory.push(
        "app", "1.0", "2026-01-01T00:00:00Z", {}, size_bytes=800 * MiB, media_type=OCI_INDEX, tags="1.0"
    )
    inventory.push("app", "amd64", "2026-01-01T00:00:00Z", {"amd": 800 * MiB}, parent=index)
    inventory.push("app", "arm64", "2026-01-01T00:00:00Z", {"arm": 750 * MiB}, parent=index)
    est = inventory.estimate("2026-03", with_layers=with_layers)
    assert est.exact["standard_storage_usd"].iloc[0] == D("0.1513671875")  # not 0.078125, not 0.2294921875


def test_ex11_untagged_images_still_cost_money(inventory):
    inventory.push("api", "v3", "2026-01-01T00:00:00Z", {"B": B, "D": DEPS, "a3": 50 * MiB}, tags="v3")
    inventory.push("api", "v2", "2026-01-01T00:00:00Z", {"B": B, "D": DEPS, "a2": 120 * MiB})
    est = inventory.estimate("2026-03")
    assert est.exact["standard_storage_usd"].iloc[0] == D("0.1044921875")


# --- C. Internet transfer tiers (us-east-1) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("gb", "free", "expected"),
    [
        ("10240", "0", "921.60"),  # EX-12
        ("10240", "100", "912.60"),  # EX-13
        ("10241", "0", "921.685"),  # EX-14
        ("51200", "0", "4403.20"),  # EX-15
        ("153600", "0", "11571.20"),  # EX-16
        ("157000", "0", "11741.20"),  # EX-17
        ("204800", "0", "14131.20"),  # EX-18
        ("5000", "0", "450.00"),  # EX-21
        ("80", "100", "0"),  # EX-22
        ("100", "100", "0"),
        ("150", "100", "4.50"),
        ("10300", "100", "917.70"),  # EX-23, variant A
        ("63488", "1", "5263.27"),  # AWS Skill Builder: 62 TB with 1 GB free
    ],
)
def test_internet_tiers(scenario, gb, free, expected):
    est = scenario([{"repository": "app", "storage_gb": "0", "internet_out_gb": gb}], free_internet_gb=free)
    assert est.exact["internet_usd"].iloc[0] == D(expected)
    assert est.transfer_usd == D(expected)


def test_free_allowance_is_shared_by_regions_highest_rate_first(scenario):
    est = scenario(
        [
            {"repository": "repo-a", "region": "us-east-1", "storage_gb": "0", "internet_out_gb": "80"},
            {"repository": "repo-b", "region": "sa-east-1", "storage_gb": "0", "internet_out_gb": "80"},
        ],
        free_internet_gb="100",
    )
    by_region = dict(zip(est.exact["region"], est.exact["internet_usd"], strict=True))
    assert by_region["sa-east-1"] == 0  # $0.15/GB region takes the allowance first
    assert by_region["us-east-1"] == D(60) * D("0.09")


def test_tier_cost_is_shared_by_repositories_in_proportion_and_sums_to_the_cent(scenario):
    rows = [
        {"repository": f"r{i}", "storage_gb": "0", "internet_out_gb": str(gb)}
        for i, gb in enumerate([3333, 7000, 1, 50000, 0.3])
    ]
    est = scenario(rows)
    exact_total = sum(est.exact["internet_usd"])
    assert exact_total == D("921.60") + D(40960) * D("0.085") + D("9134.3") * D("0.07")
    for quantum in (D("0.01"), D("0.000001")):
        table = est.rounded(quantum)
        assert sum(table["internet_usd"]) == exact_total.quantize(quantum)
        assert sum(table["total_usd"]) == est.totals(quantum)["total_usd"]


# --- D. Inbound, same-region, inter-region, replication, network extras ---------------------------------


def test_ex25_ex26_same_region_is_free_but_nat_is_reported_apart(scenario):
    est = scenario(
        [{"repository": "app", "storage_gb": "0", "same_region_out_gb": "5000", "nat_gateway_gb": "5000"}]
    )
    assert est.total_usd == 0
    assert est.exact["same_region_out_gb"].iloc[0] == 5000
    assert est.network_usd == D("225.000")


def test_ex26_interface_endpoint_processing(scenario):
    est = scenario([{"repository": "app", "storage_gb": "0", "interface_endpoint_gb": "5000"}])
    assert est.network_usd == D("50.00")
    assert est.total_usd == 0


@pytest.mark.parametrize(
    ("destination", "expected"), [("eu-west-1", "20.00"), ("us-east-2", "10.00"), ("", "20.00")]
)
def test_ex27_inter_region_pull(scenario, destination, expected):
    est = scenario(
        [
            {
                "repository": "app",
                "storage_gb": "0",
                "cross_region_out_gb": "1000",
                "destination_region": destination,
            }
        ],
        free_internet_gb="100",
    )
    assert est.transfer_usd == D(expected)  # the internet allowance does not apply


def test_ex28_cross_region_replication(scenario):
    # 20 GB pushed in us-east-1, replicated to us-west-2 and eu-west-1 (both $0.02/GB from us-east-1)
    est = scenario(
        [
            {"repository": "app", "region": "us-east-1", "storage_gb": "20", "cross_region_out_gb": "40"},
            {"repository": "app", "region": "us-west-2", "storage_gb": "20"},
            {"repository": "app", "region": "eu-west-1", "storage_gb": "20"},
        ]
    )
    assert est.transfer_usd == D("0.80")
    assert est.storage_usd == D("6.00")
    assert est.total_usd == D("6.80")


# --- E. Archive and ECR Public -------------------------------------------------------------------------


@pytest.mark.parametrize(("gb", "expected"), [("204800", "18944.00"), ("100", "10.00")])
def test_ex29_archive_tiers(scenario, gb, expected):
    est = scenario([{"repository": "old", "storage_gb": gb, "storage_class": "archive"}])
    assert est.storage_usd == D(expected)
    assert est.exact["archive_gb_month"].iloc[0] == D(gb)


def test_ex29_archive_tier_is_per_registry_and_shared_by_gb(scenario):
    est = scenario(
        [
            {"repository": "repo-a", "storage_gb": "153600", "storage_class": "archive"},
            {"repository": "repo-b", "storage_gb": "51200", "storage_class": "archive"},
            {
                "repository": "repo-c",
                "region": "eu-west-1",
                "storage_gb": "51200",
                "storage_class": "archive",
            },
        ]
    )
    by_repo = dict(zip(est.exact["repository"], est.exact["archive_storage_usd"], strict=True))
    assert by_repo["repo-a"] + by_repo["repo-b"] == D("18944.00")
    assert by_repo["repo-a"] == D("18944.00") * 3 / 4
    assert by_repo["repo-c"] == D("5120.00")  # another registry starts its own tiers


def test_ex29_restoring_from_archive_costs_per_gb_restored(scenario):
    est = scenario([{"repository": "old", "storage_gb": "0", "archive_restored_gb": "50"}])
    assert est.exact["archive_retrieval_usd"].iloc[0] == D("1.50")  # 50 GB × $0.03
    assert est.storage_usd == D("1.50") and est.transfer_usd == 0


def test_archived_images_in_an_inventory_are_priced_as_archive(inventory):
    inventory.push("app", "old", "2026-01-01T00:00:00Z", {"old": 10 * GiB}, status="ARCHIVED")
    inventory.push("app", "new", "2026-01-01T00:00:00Z", {"new": 1 * GiB})
    est = inventory.estimate("2026-03")
    assert est.exact["archive_gb_month"].iloc[0] == 10
    assert est.exact["archive_storage_usd"].iloc[0] == D("1.0")
    assert est.exact["standard_storage_usd"].iloc[0] == D("0.1")


def test_a_layer_shared_with_an_active_image_stays_in_standard(inventory):
    inventory.push("app", "old", "2026-01-01T00:00:00Z", {"base": 1 * GiB, "old": 1 * GiB}, status="ARCHIVED")
    inventory.push("app", "new", "2026-01-01T00:00:00Z", {"base": 1 * GiB})
    est = inventory.estimate("2026-03")
    assert est.exact["archive_gb_month"].iloc[0] == 1
    assert est.exact["storage_gb_month"].iloc[0] == 2


def test_ex30_ecr_public(scenario):
    est = scenario(
        [
            {
                "repository": "tool",
                "registry": "public",
                "storage_gb": "120",
                "internet_out_gb": "7168",
                "cross_region_out_gb": "2048",
            }
        ]
    )
    assert est.storage_usd == D("7.00")
    assert est.transfer_usd == D("184.32")
    assert est.total_usd == D("191.32")
    assert any("authenticated" in n for n in est.notes)


PUBLIC_ROWS = [
    {"repository": "repo-a", "registry": "public", "storage_gb": "30", "account_id": "111111111111"},
    {"repository": "repo-b", "registry": "public", "storage_gb": "30", "account_id": "111111111111"},
    {"repository": "repo-c", "registry": "public", "storage_gb": "30", "account_id": "222222222222"},
]


def test_ecr_public_free_storage_is_per_account_and_shared_when_accounts_stand_alone(scenario):
    est = scenario(PUBLIC_ROWS, billing="account")
    by_repo = dict(zip(est.exact["repository"], est.exact["public_storage_usd"], strict=True))
    # account 1: 60 - 50 free = 10 GB-month x $0.10 = $1.00, shared 30:30; account 2: 30 < 50 free
    assert by_repo == {"repo-a": D("0.5"), "repo-b": D("0.5"), "repo-c": 0}


def test_ecr_public_free_storage_is_one_allowance_on_a_consolidated_bill(scenario):
    est = scenario(PUBLIC_ROWS)  # --billing organization (the default): one bill, one 50 GB-month allowance
    by_repo = dict(zip(est.exact["repository"], est.exact["public_storage_usd"], strict=True))
    # 90 - 50 free = 40 GB-month x $0.10 = $4.00, shared 30:30:30 (exactly, in the model's precision)
    with localcontext(CONTEXT):
        assert sum(by_repo.values()) == D("4.00")
    assert est.total_usd == D("4.00") and by_repo["repo-a"] == by_repo["repo-b"] > D("1.3333")
