"""Reconcile against CUR 2.0 and FOCUS files in AWS's layouts (built by ``billfiles`` from the bundled
sample's estimate): the bill that equals the estimate leaves $0 unexplained, and each planted difference
gets its explanation and its amount; bad bill files are one line and exit 2; exit 4 beyond tolerance."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

import pandas as pd
import pytest
from billfiles import adjustment, arn, cur_rows, focus_frame, write_cur, write_focus
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import ecrcost
from ecrcost.analysis.reconcile import EXPLANATIONS
from ecrcost.app.export import export
from ecrcost.app.reconcile import reconcile, tolerance
from ecrcost.cli import app
from ecrcost.sources.bill.frame import Bill, kind_of_cur, normalise

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample-registry"
MONTH = "2026-10"
ACCOUNT = "111122223333"
runner = CliRunner()


@pytest.fixture(scope="module")
def usage():
    return ecrcost.load(SAMPLE)


@pytest.fixture(scope="module")
def est(usage):
    return ecrcost.estimate(usage, month=MONTH)


def cli(*args: object):
    return runner.invoke(app, ["reconcile", str(SAMPLE), "--month", MONTH, *map(str, args)])


def check_sums(rec) -> None:
    """Every breakdown adds up exactly: the parts to each line's difference, the lines to the totals."""
    for row in rec.groups.to_dict(orient="records"):
        assert row["billed_usd"] - row["estimated_usd"] == row["difference_usd"]
        assert sum((row[f"{e}_usd"] for e in EXPLANATIONS), D(0)) == row["difference_usd"]
    t = rec.totals
    assert t["billed_usd"] - t["estimated_usd"] == t["difference_usd"]
    assert sum(rec.explanations().values(), D(0)) == t["difference_usd"]
    assert sum(rec.parts["amount_usd"], D(0)) == t["difference_usd"]
    for table in (rec.by_usage_type(), rec.by_repository()):
        assert sum(table["billed_usd"], D(0)) == t["billed_usd"]


def nonzero(rec) -> dict[str, D]:
    return {e: v for e, v in rec.explanations().items() if v}


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
@pytest.mark.parametrize("resource", ["arn", "name", "none"])
def test_a_cur_bill_equal_to_the_estimate_leaves_nothing_unexplained(est, tmp_path, suffix, resource):
    path = write_cur(tmp_path / f"cur{suffix}", cur_rows(est, resource=resource))
    rec = reconcile(est, cur=path)
    check_sums(rec)
    assert rec.totals["billed_usd"] == est.total_usd
    assert nonzero(rec) == {}
    assert rec.source["resource_ids"] == resource
    repositories = set(rec.groups["repository"])
    assert repositories == ({""} if resource == "none" else set(est.roster["repository"]))


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_a_focus_bill_equal_to_the_estimate_differs_by_rounding_to_cents_only(est, usage, tmp_path, suffix):
    rec = reconcile(est, focus=write_focus(tmp_path / f"focus{suffix}", focus_frame(est, usage)))
    check_sums(rec)
    assert rec.source["resource_ids"] == "arn"
    assert rec.totals["billed_usd"] == est.totals(D("0.01"))["total_usd"]
    assert set(nonzero(rec)) <= {"rounding"}
    assert rec.unexplained_usd == 0


def test_the_cli_on_the_sample_and_a_matching_bill_reports_zero_unexplained(est, tmp_path):
    result = cli("--cur", write_cur(tmp_path / "cur.parquet", cur_rows(est)), "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["unexplained_usd"] == 0 and doc["within_tolerance"] is True
    assert doc["billed_usd"] == doc["estimated_usd"] == float(est.total_usd)
    assert doc["tolerance_usd"] == 1.0  # 1% of $99.37 is below the $1 floor
    assert {r["repository"] for r in doc["repositories"]} == set(est.roster["repository"])


def test_a_repository_missing_from_the_inventory_is_named_with_its_amount(est, tmp_path):
    rows = cur_rows(est)
    ghost = {
        **rows[1],
        "line_item_resource_id": arn(ACCOUNT, "us-east-1", "gone/deleted-before-collect"),
        "line_item_usage_amount": 12.5,
        "line_item_unblended_cost": 1.25,
    }
    elsewhere = {
        **rows[1],
        "product_region_code": "ap-northeast-1",
        "line_item_usage_type": "APN1-TimedStorage-ByteHrs",
        "line_item_resource_id": arn(ACCOUNT, "ap-northeast-1", "tokyo/app"),
        "line_item_usage_amount": 3.0,
        "line_item_unblended_cost": 0.3,
    }
    rec = reconcile(est, cur=write_cur(tmp_path / "cur.parquet", [*rows, ghost, elsewhere]))
    check_sums(rec)
    assert nonzero(rec) == {"not_in_inventory": D("1.55")}
    parts = rec.parts.set_index("repository")
    assert parts.loc["gone/deleted-before-collect", "amount_usd"] == D("1.25")
    assert parts.loc["tokyo/app", "explanation"] == "not_in_inventory"
    assert rec.within_tolerance  # not in the inventory is an explanation, not drift


def test_a_credit_and_a_discount_are_price_differences(est, tmp_path):
    rows = cur_rows(est)
    planted = [
        adjustment(rows[0], "Credit", -5.0),
        adjustment(rows[10], "EdpDiscount", -2.5),
        adjustment(rows[10], "Tax", 0.75),
    ]
    rec = reconcile(est, cur=write_cur(tmp_path / "cur.csv", [*rows, *planted]))
    check_sums(rec)
    assert nonzero(rec) == {"price_differs": D("-6.75")}
    details = dict(zip(rec.parts["detail"], rec.parts["amount_usd"], strict=True))
    assert details == {
        "credit (Credit)": D("-5"),
        "discount (EdpDiscount)": D("-2.5"),
        "tax (Tax)": D("0.75"),
    }


def test_a_focus_discount_is_list_cost_minus_billed_cost(est, usage, tmp_path):
    frame = export(est, usage, "focus", discount_percent="10").frame
    aws = focus_frame(est, usage)
    aws["BilledCost"] = frame["BilledCost"]
    rec = reconcile(est, focus=write_focus(tmp_path / "focus.parquet", aws))
    check_sums(rec)
    discount = sum(frame["BilledCost"], D(0)) - sum(frame["ListCost"], D(0))
    assert discount < -9
    assert rec.explanations()["price_differs"] == discount
    assert rec.unexplained_usd == 0


def test_transfer_rows_under_awsdatatransfer_tied_by_their_arn_match_the_repositories(est, tmp_path):
    rows = cur_rows(est, transfer_product="AWSDataTransfer")
    assert {r["line_item_product_code"] for r in rows} == {"AmazonECR", "AWSDataTransfer"}
    rec = reconcile(est, cur=write_cur(tmp_path / "cur.parquet", rows))
    check_sums(rec)
    assert nonzero(rec) == {}


def test_shared_transfer_lines_are_other_services_share_and_other_resources_are_left_out(est, tmp_path):
    rows = cur_rows(est, resource="none", transfer_product="AWSDataTransfer")
    internet = next(r for r in rows if r["line_item_usage_type"] == "USE1-DataTransfer-Out-Bytes")
    shared = {**internet, "line_item_usage_amount": 200.0, "line_item_unblended_cost": 18.0}
    ec2 = {
        **internet,
        "line_item_resource_id": "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc",
        "line_item_usage_amount": 1000.0,
        "line_item_unblended_cost": 90.0,
    }
    rec = reconcile(est, cur=write_cur(tmp_path / "cur.parquet", [*rows, shared, ec2]))
    check_sums(rec)
    assert nonzero(rec) == {"shared_transfer": D("18")}
    assert any("other services' resources left out" in n for n in rec.notes)


def test_free_tier_and_quantity_differences_are_priced_at_the_estimates_unit_price(est, tmp_path):
    rows = cur_rows(est)
    web = next(
        r
        for r in rows
        if r["line_item_usage_type"] == "USE1-DataTransfer-Out-Bytes"
        and r["line_item_resource_id"].endswith("team-a/web-app")
    )
    web.update(line_item_usage_amount=750.0, line_item_unblended_cost=67.5)
    rows.append({**web, "line_item_usage_amount": 100.0, "line_item_unblended_cost": 0.0})
    batch = next(
        r
        for r in rows
        if r["line_item_usage_type"] == "USE1-TimedStorage-ByteHrs"
        and r["line_item_resource_id"].endswith("team-b/batch")
    )
    batch.update(
        line_item_usage_amount=batch["line_item_usage_amount"] + 20.0,
        line_item_unblended_cost=batch["line_item_unblended_cost"] + 2.0,
    )
    rec = reconcile(est, cur=write_cur(tmp_path / "cur.parquet", rows))
    check_sums(rec)
    found = nonzero(rec)
    assert found["free_tier"] == D("-9")
    assert abs(found["quantity_differs"] - D("2")) < D("0.000002")
    assert set(found) <= {"free_tier", "quantity_differs", "rounding"}


def test_an_unknown_usage_type_is_unexplained_and_exits_4(est, tmp_path):
    rows = cur_rows(est)
    odd = {**rows[1], "line_item_usage_type": "USE1-Mystery-Units", "line_item_unblended_cost": 5.0}
    path = write_cur(tmp_path / "cur.parquet", [*rows, odd])
    rec = reconcile(est, cur=path)
    assert rec.unexplained_usd == D("5") and not rec.within_tolerance
    result = cli("--cur", path, "--format", "json")
    assert result.exit_code == 4
    assert json.loads(result.stdout)["unexplained_usd"] == 5.0  # the output is written before exit 4
    assert (
        result.stderr.count("\n") == 1 and "exceeds the tolerance of $1.04" in result.stderr
    )  # 1% of $104.37
    assert cli("--cur", path, "--tolerance", "5", "-f", "csv").exit_code == 0
    assert cli("--cur", path, "--tolerance", "4%", "-f", "csv").exit_code == 4


def test_tolerance_defaults_to_one_percent_or_one_dollar():
    assert tolerance(None).of(D("50")) == D("1")
    assert tolerance(None).of(D("2500")) == D("25.00")
    assert tolerance("2.5").of(D("2500")) == D("2.5")
    assert tolerance("2%").of(D("2500")) == D("50.00")


def test_a_usage_type_without_region_code_is_read_as_its_regions(est, tmp_path):
    rows = cur_rows(est)
    for r in rows:  # us-east-1's usage types as AWS writes some of them: without USE1-
        r["line_item_usage_type"] = r["line_item_usage_type"].removeprefix("USE1-")
    rec = reconcile(est, cur=write_cur(tmp_path / "cur.csv", rows))
    assert nonzero(rec) == {}


def test_a_folder_of_parts_and_other_months_beside_it(est, tmp_path):
    rows = cur_rows(est)
    write_cur(tmp_path / "bill" / "BILLING_PERIOD=2026-10" / "part-0.parquet", rows[:5])
    write_cur(tmp_path / "bill" / "BILLING_PERIOD=2026-10" / "part-1.csv", rows[5:])
    from datetime import UTC, datetime

    september = [{**r, "bill_billing_period_start_date": datetime(2026, 9, 1, tzinfo=UTC)} for r in rows]
    write_cur(tmp_path / "bill" / "BILLING_PERIOD=2026-09" / "part-0.parquet", september)
    (tmp_path / "bill" / "manifest.json").write_text("{}")
    rec = reconcile(est, cur=tmp_path / "bill")
    assert nonzero(rec) == {} and rec.source["files"] == 3
    assert any("2026-09" in n for n in rec.notes)


def one_error(result, *words: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    for w in words:
        assert w in result.stderr


def test_bad_bill_files_are_one_line_and_exit_2(est, usage, tmp_path):
    rows = cur_rows(est)
    cur = write_cur(tmp_path / "cur.parquet", rows)
    focus = write_focus(tmp_path / "focus.csv", focus_frame(est, usage))
    one_error(cli("--focus", cur), "cur.parquet", "not a FOCUS 1.2 export", "BillingPeriodStart")
    one_error(cli("--cur", focus), "focus.csv", "not a CUR 2.0 export", "bill_billing_period_start_date")
    one_error(
        runner.invoke(app, ["reconcile", str(SAMPLE), "--month", "2026-11", "--cur", str(cur)]),
        "covers 2026-10, not 2026-11",
    )
    euro = write_cur(tmp_path / "eur.csv", [{**r, "line_item_currency_code": "EUR"} for r in rows])
    one_error(cli("--cur", euro), "eur.csv", "line 2", "billed in EUR")
    bad = tmp_path / "bad.csv"
    write_cur(bad, rows)
    lines = bad.read_text().splitlines()
    lines[3] = lines[3].replace(repr(rows[2]["line_item_unblended_cost"]), "twelve")
    bad.write_text("\n".join(lines) + "\n")
    one_error(cli("--cur", bad), "bad.csv", "line 4", "line_item_unblended_cost", "'twelve' is not a number")
    one_error(cli("--cur", tmp_path / "nothing-here"), "no such file or folder")
    one_error(cli("--cur", cur, "--focus", focus), "exactly one bill")
    one_error(cli(), "exactly one bill")
    one_error(cli("--cur", cur, "--tolerance", "lots"), "--tolerance")
    assert not list(tmp_path.glob("out*"))
    one_error(cli("--cur", euro, "-o", tmp_path / "out.json"), "billed in EUR")
    assert not (tmp_path / "out.json").exists()


def test_every_format_renders(est, tmp_path):
    path = write_cur(tmp_path / "cur.parquet", cur_rows(est))
    table = cli("--cur", path)
    assert (
        table.exit_code == 0 and "Why the bill differs" in table.stdout and "team-a/web-app" in table.stdout
    )
    md = cli("--cur", path, "-f", "markdown")
    assert md.stdout.startswith("# ECR bill reconciliation, 2026-10")
    csv_text = cli("--cur", path, "-f", "csv").stdout
    assert csv_text.splitlines()[0].startswith("account_id,region,usage_type,repository,estimated_quantity")
    assert len(csv_text.splitlines()) == 1 + len(est.billed_lines())


EXAMPLES = SAMPLE.parent / "examples"


@pytest.mark.parametrize(
    "option, name", [("--cur", "bill-2026-10-cur.csv"), ("--focus", "bill-2026-10-focus.csv")]
)
def test_the_bundled_bills_of_the_sample_reconcile_to_zero_unexplained(option, name):
    result = cli(option, EXAMPLES / name, "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["unexplained_usd"] == 0
    assert {k for k, v in doc["explanations"].items() if v} <= {"rounding"}


def test_the_bundled_planted_bill_names_each_difference_and_its_amount():
    result = cli("--cur", EXAMPLES / "bill-2026-10-cur-planted.csv", "--format", "json")
    assert result.exit_code == 4
    doc = json.loads(result.stdout)
    assert {k: v for k, v in doc["explanations"].items() if v} == {
        "not_in_inventory": 2.5,  # old/deleted-service, 25 GB-month
        "price_differs": -7.37,  # a $3 credit and a $4.37 EDP discount
        "shared_transfer": 10.8,  # 120 GB of other services' egress on the shared line
        "unexplained": 2.0,  # a Fee line
    }
    parts = {(p["repository"], p["detail"]): p["amount_usd"] for p in doc["parts"]}
    assert (
        parts[("old/deleted-service", "repository not in the inventory (not collected, or deleted)")] == 2.5
    )
    assert parts[("legacy-tool", "credit (Credit)")] == -3.0
    assert parts[("team-a/web-app", "discount (EdpDiscount)")] == -4.37
    assert parts[("", "other (Fee)")] == 2.0


def test_a_charge_the_model_estimates_and_the_bill_lacks_is_unexplained(est, tmp_path):
    rows = [r for r in cur_rows(est) if r["line_item_usage_type"] != "USE1-EU-AWS-Out-Bytes"]
    rec = reconcile(est, cur=write_cur(tmp_path / "cur.parquet", rows))
    check_sums(rec)
    assert nonzero(rec) == {"unexplained": D("-6")}  # team-b/api's 300 GB to eu-west-1
    assert list(rec.parts["detail"]) == ["estimated, not billed"]
    assert rec.unexplained_usd == D("6") and not rec.within_tolerance


def test_the_iam_policy_names_what_reconcile_reads_bills_with_only_when_asked():
    def actions(*args: str) -> set[str]:
        doc = json.loads(runner.invoke(app, ["iam-policy", *args]).stdout)
        return {a for s in doc["Statement"] for a in s["Action"]}

    bills = {"ce:GetCostAndUsage", "s3:ListBucket", "s3:GetObject"}
    assert bills <= actions("--reconcile")
    assert not bills & actions()
    assert actions("--reconcile") - bills == actions()


def test_report_bill_adds_the_reconciliation_to_the_html_report(tmp_path):
    page = tmp_path / "report.html"
    args = ["report", str(SAMPLE), "--month", MONTH, "--html", str(page), "--top", "3"]
    result = runner.invoke(app, [*args, "--bill", str(EXAMPLES / "bill-2026-10-cur-planted.csv")])
    assert result.exit_code == 0, result.output  # a report informs; `reconcile` is the command that exits 4
    assert "Unexplained $2.00: BEYOND the tolerance of $1.07" in result.stdout
    text = page.read_text()
    assert "<h2>Against the bill</h2>" in text and "old/deleted-service" in text
    assert '<td class="num">-$7.37</td>' in text and "shared data transfer" in text
    focus = runner.invoke(app, [*args, "--bill", str(EXAMPLES / "bill-2026-10-focus.csv")])
    assert focus.exit_code == 0 and "(focus: " in page.read_text()
    page.unlink()
    bad = runner.invoke(app, [*args, "--bill", str(SAMPLE / "images.csv")])
    assert bad.exit_code == 2 and "not a CUR 2.0 or FOCUS 1.2 export" in bad.stderr
    assert not page.exists()


def _bill(est, rows: list[dict]) -> Bill:
    """The rows as a reader hands them over (no file): what every source gives ``normalise``."""
    groups = [
        {
            "account_id": r["line_item_usage_account_id"],
            "region": r["product_region_code"],
            "usage_type": r["line_item_usage_type"],
            "resource_id": r["line_item_resource_id"],
            "product": r["line_item_product_code"],
            "kind": kind_of_cur(r["line_item_line_item_type"]),
            "detail": r["line_item_line_item_type"],
            "free": r["line_item_unblended_cost"] == 0 and r["line_item_usage_amount"] > 0,
            "quantity": D(repr(r["line_item_usage_amount"])),
            "cost": D(repr(r["line_item_unblended_cost"])),
            "rows": 1,
        }
        for r in rows
    ]
    return Bill("cur", "memory", est.period, normalise(groups, est.options.prices))


@pytest.mark.slow
@given(
    changes=st.lists(
        st.tuples(
            st.integers(0, 13),
            st.sampled_from(["scale", "drop", "credit", "free", "ghost", "shared", "fee"]),
            st.decimals(0, 3, places=3),
        ),
        max_size=6,
    ),
    resource=st.sampled_from(["arn", "name", "none"]),
)
@settings(deadline=None)
def test_whatever_the_bill_holds_the_explanations_add_up_to_the_difference(est, changes, resource):
    rows = cur_rows(est, resource=resource, transfer_product="AWSDataTransfer")
    extra = []
    for i, change, factor in changes:
        row = rows[i % len(rows)]
        f = float(factor)
        if change == "scale":
            row.update(line_item_usage_amount=row["line_item_usage_amount"] * f,
                       line_item_unblended_cost=row["line_item_unblended_cost"] * f)  # fmt: skip
        elif change == "drop":
            row.update(line_item_usage_amount=0.0, line_item_unblended_cost=0.0)
        elif change == "credit":
            extra.append(adjustment(row, "Credit", -f))
        elif change == "fee":
            extra.append(adjustment(row, "Fee", f))
        elif change == "free":
            extra.append({**row, "line_item_usage_amount": 10 * f, "line_item_unblended_cost": 0.0})
        elif change == "ghost":
            extra.append({**row, "line_item_resource_id": arn(ACCOUNT, "us-east-1", "ghost"),
                          "line_item_unblended_cost": f})  # fmt: skip
        else:
            extra.append({**row, "line_item_resource_id": "", "line_item_product_code": "AWSDataTransfer",
                          "line_item_usage_amount": 100 * f, "line_item_unblended_cost": 9 * f})  # fmt: skip
    rec = reconcile(est, _bill(est, [*rows, *extra]))
    check_sums(rec)
    assert rec.totals["estimated_usd"] == est.total_usd
    # A Fee line has no explanation: it adds exactly its amount to what stays unexplained.
    fees = [r for r in extra if r["line_item_line_item_type"] == "Fee"]
    without = reconcile(est, _bill(est, [*rows, *(r for r in extra if r not in fees)]))
    added = sum((D(repr(r["line_item_unblended_cost"])) for r in fees), D(0))
    assert rec.explanations()["unexplained"] - without.explanations()["unexplained"] == added


def test_the_net_unblended_cost_is_reported_beside_when_the_export_has_it(est, tmp_path):
    rows = cur_rows(est)
    for r in rows:
        r["line_item_net_unblended_cost"] = r["line_item_unblended_cost"] * 0.9  # a 10% discount, net
    rec = reconcile(est, cur=write_cur(tmp_path / "cur.parquet", rows))
    assert nonzero(rec) == {}  # matched on unblended cost, adjustments apart
    assert abs(rec.source["billed_net_usd"] - est.total_usd * D("0.9")) < D("0.00001")
    doc = json.loads(cli("--cur", tmp_path / "cur.parquet", "-f", "json").stdout)
    assert doc["source"]["billed_net_usd"] == pytest.approx(float(est.total_usd) * 0.9)
    focus = tmp_path / "focus.csv"
    write_focus(focus, focus_frame(est, ecrcost.load(SAMPLE)))
    assert reconcile(est, focus=focus).source["billed_net_usd"] is None


def test_a_focus_credit_row_is_a_price_difference(est, usage, tmp_path):
    frame = focus_frame(est, usage)
    credit = frame.iloc[[0]].assign(ChargeCategory="Credit", BilledCost=D("-2.50"), ListCost=D("0"),
                                    ConsumedQuantity=None)  # fmt: skip
    rec = reconcile(est, focus=write_focus(tmp_path / "focus.parquet", pd.concat([frame, credit])))
    check_sums(rec)
    assert rec.explanations()["price_differs"] == D("-2.5")
    assert "credit (Credit)" in set(rec.parts["detail"])


def test_a_gzipped_csv_export_as_data_exports_writes_it(est, tmp_path):
    import gzip

    plain = write_cur(tmp_path / "plain.csv", cur_rows(est))
    packed = tmp_path / "export" / "ecr-00001.csv.gz"
    packed.parent.mkdir()
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    rec = reconcile(est, cur=packed.parent)
    assert nonzero(rec) == {} and rec.source["files"] == 1
