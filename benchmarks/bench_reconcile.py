"""How long reading a large CUR 2.0 export takes: a synthetic Parquet export of N rows (all services;
1 in 100 an ECR row, the rest EC2 usage), written once under benchmarks/out/, then ``read_export`` (the
DuckDB pass that checks and sums ECR's rows) and the whole ``reconcile`` against the bundled sample.
Peak memory is the process's maximum resident set.

    uv run python benchmarks/bench_reconcile.py --rows 5000000
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import duckdb

import ecrcost
from ecrcost.app.reconcile import reconcile
from ecrcost.sources.bill.exports import read_export

OUT = Path(__file__).resolve().parent / "out"
SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample-registry"
ARN = "arn:aws:ecr:us-east-1:111122223333:repository/"
REPOS = ["team-a/web-app", "team-a/worker", "team-b/api", "team-b/batch", "data/etl", "legacy-tool"]


def generate(rows: int) -> Path:
    path = OUT / f"cur-{rows}.parquet"
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    repos = "[" + ", ".join(f"'{r}'" for r in REPOS) + "]"
    duckdb.sql(f"""
        COPY (
          SELECT TIMESTAMP '2026-10-01' AS bill_billing_period_start_date,
                 '111122223333' AS line_item_usage_account_id,
                 CASE WHEN i % 100 = 0 THEN 'AmazonECR' ELSE 'AmazonEC2' END AS line_item_product_code,
                 CASE WHEN i % 100 = 0 THEN 'USE1-TimedStorage-ByteHrs' ELSE 'USE1-BoxUsage:m5.large' END
                   AS line_item_usage_type,
                 'Usage' AS line_item_line_item_type,
                 CASE WHEN i % 100 = 0
                   THEN '{ARN}' || {repos}[1 + (i // 100) % {len(REPOS)}]
                   ELSE 'i-' || lpad(CAST(i AS VARCHAR), 17, '0') END AS line_item_resource_id,
                 0.001 * (i % 997) AS line_item_usage_amount,
                 0.0001 * (i % 997) AS line_item_unblended_cost,
                 'USD' AS line_item_currency_code,
                 'us-east-1' AS product_region_code,
                 MAP {{'region': 'us-east-1'}} AS product
          FROM range({rows}) t(i)
        ) TO '{path}' (FORMAT parquet)
    """)
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    path = generate(args.rows)
    est = ecrcost.estimate(ecrcost.load(SAMPLE), month="2026-10")
    t0 = time.perf_counter()
    bill = read_export(str(path), "cur", est.period, est.options.prices)
    t1 = time.perf_counter()
    rec = reconcile(est, bill)
    t2 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("| rows | file MB | read_export s | reconcile s | ECR groups | peak RSS MB |")
    print(
        f"| {args.rows:,} | {path.stat().st_size / 2**20:,.0f} | {t1 - t0:.2f} | {t2 - t1:.2f} | "
        f"{len(bill.rows):,} | {peak:,.0f} |"
    )
    print(rec)


if __name__ == "__main__":
    main()
