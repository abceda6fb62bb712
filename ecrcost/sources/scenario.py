"""Scenario CSV: a person's "what if", one row per repository (docs/formats.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..core.pricebook import PriceBook
from ..core.usage import KEY, REPOSITORY_COLUMNS, STORAGE_COLUMNS, TRANSFER_COLUMNS, TRANSFER_GB, Usage
from . import checks
from .files import RawTable, read_table

REQUIRED = ["repository", "storage_gb"]
OPTIONAL = [
    "region",
    "account_id",
    "storage_class",
    "registry",
    "internet_out_gb",
    "cross_region_out_gb",
    "destination_region",
    "same_region_out_gb",
    # ecrcost extensions: traffic that crosses a NAT gateway or an interface endpoint on its way
    # to ECR (billed under VPC, reported apart from the ECR bill)
    "nat_gateway_gb",
    "interface_endpoint_gb",
    # GB restored from the archive storage class this month (a per-GB retrieval charge)
    "archive_restored_gb",
    # chargeback: kept as the repository tag "team" (exports' team column)
    "team",
]
DEFAULT_REGION = "us-east-1"
# A scenario is priced and reported row by row (line items, per-repository tables): past this many rows
# a run would need gigabytes and minutes, so a longer file is refused at the first row past it, before
# the rest is read. Ten times ECR's former default quota of 10,000 repositories per Region.
MAX_ROWS = 100_000


def read_scenario(path: Path, prices: PriceBook) -> Usage:
    raw = read_table(path, REQUIRED, OPTIONAL, max_rows=MAX_ROWS, fold_header=True, extra=True)
    raw = raw.without_trailing_blank_rows()
    tag_columns = [c for c in raw.frame.columns if c not in REQUIRED and c not in OPTIONAL]
    f = pd.DataFrame(index=raw.frame.index)
    known = prices.regions.keys()
    # Plain text columns (not categoricals): the model compares and groups them with each other.
    f["repository"] = checks.plain(checks.repository(raw))
    f["region"] = checks.plain(checks.region(raw, "region", known, DEFAULT_REGION))
    f["account_id"] = checks.plain(
        checks.optional_pattern(raw, "account_id", checks.ACCOUNT, "12-digit account id")
    )
    f["storage_class"] = checks.enum(raw, "storage_class", ["standard", "archive"], "standard", casefold=True)
    f["registry"] = checks.enum(raw, "registry", ["private", "public"], "private", casefold=True)
    f["destination_region"] = checks.plain(checks.region(raw, "destination_region", known, ""))
    f["storage_gb"] = checks.decimal(raw, "storage_gb")
    for col in TRANSFER_GB:
        f[col] = checks.decimal(raw, col)

    public = f["registry"] == "public"
    checks_first = [
        (
            public & (f["region"] != DEFAULT_REGION),
            "region",
            "ECR Public repositories live in us-east-1, got '{value}'",
        ),
        (
            public & (f["storage_class"] == "archive"),
            "storage_class",
            "ECR Public has no archive storage class",
        ),
        (
            public & (f["archive_restored_gb"] > 0),
            "archive_restored_gb",
            "ECR Public has no archive storage class to restore from",
        ),
        (
            (f["cross_region_out_gb"] > 0) & (f["destination_region"] == f["region"]),
            "destination_region",
            "destination '{value}' is the source region: same-region transfer goes in same_region_out_gb",
        ),
        (
            f.duplicated([*KEY, "storage_class", "destination_region"]),
            "repository",
            "repository '{value}' appears twice with the same account, region, registry, storage class "
            "and destination region",
        ),
        (
            (f["storage_gb"] > 0) & f[[*KEY, "storage_class"]].where(f["storage_gb"] > 0).duplicated(),
            "storage_gb",
            "storage of this repository and storage class is on an earlier row already: give it once "
            "(a row for a further destination region takes storage_gb 0)",
        ),
    ]
    for bad, column, message in checks_first:
        if bool(bad.any()):
            index = int(np.flatnonzero(bad.to_numpy())[0])
            value = f[column].iloc[index]
            raise raw.error(message.format(value=value), index, column)

    tagged = ["team", *tag_columns] if "team" in raw.frame else tag_columns
    notes = (f"Columns kept as repository tags: {', '.join(tag_columns)}.",) if tag_columns else ()
    # One storage row per repository and class: of rows for several destinations, the one with storage.
    empty_last = f.assign(_empty=f["storage_gb"] == 0).sort_values("_empty", kind="stable")
    storage = empty_last.drop_duplicates([*KEY, "storage_class"]).sort_index()
    return Usage(
        storage=storage[STORAGE_COLUMNS].reset_index(drop=True),
        transfer=f[TRANSFER_COLUMNS].reset_index(drop=True),
        repositories=_tags(raw, f, tagged) if tagged else None,
        source=str(path),
        notes=notes,
    )


def _tags(raw: RawTable, f: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The repositories table of a scenario: each repository's ``team`` and other extra columns as its
    tags (blank cells left out; the first row of a repository listed twice gives them)."""
    values = {c: checks.text(raw, c) for c in columns}
    tags = [{c: str(values[c].iloc[i]) for c in columns if str(values[c].iloc[i])} for i in range(len(f))]
    out = pd.DataFrame(
        {
            "account_id": f["account_id"].to_numpy(),
            "region": f["region"].to_numpy(),
            "repository": f["repository"].to_numpy(),
            "repository_arn": "",
            "tags": tags,
            "lifecycle_policy": "",
            "encryption_type": "",
            "kms_key": "",
            "pull_through_cache": False,
        }
    )
    return out.drop_duplicates(["account_id", "region", "repository"]).reset_index(drop=True)[
        REPOSITORY_COLUMNS
    ]
