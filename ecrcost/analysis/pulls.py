"""Where pulls go: the bytes ``ecrcost pulls`` measured from CloudTrail, per repository and
destination class, beside what the estimate charges for them; and the most-pulled images.

Dollars come from the estimate (internet and cross-region transfer of the repository); same-region
and AWS services' bytes are free. GB = 2^30 bytes."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from ..core.estimate import Estimate
from ..core.money import CENT, ZERO
from ..core.units import GB as GB_BYTES

CLASSES = ("same_region", "cross_region", "internet", "aws_service")
LABELS = {
    "same_region": "Same region",
    "cross_region": "Other region",
    "internet": "Internet",
    "aws_service": "AWS services",
}
KEY = ["account_id", "region", "repository"]
GB = Decimal(GB_BYTES)


def where_pulls_go(pulls: pd.DataFrame, est: Estimate) -> pd.DataFrame:
    """One row per repository with measured pulls (most bytes first): ``<class>_gb`` (exact Decimal),
    ``total_gb``, and ``internet_usd``, ``cross_region_usd``, ``transfer_usd`` (Decimal cents, the
    estimate's controlled rounding)."""
    columns = [
        *KEY,
        *(f"{c}_gb" for c in CLASSES),
        "total_gb",
        "internet_usd",
        "cross_region_usd",
        "transfer_usd",
    ]
    if pulls is None or not len(pulls):
        return pd.DataFrame(columns=columns)
    sums = pulls.groupby(KEY, sort=False)[[f"{c}_bytes" for c in CLASSES]].sum().reset_index()
    money: dict[tuple[str, str, str], tuple[Decimal, Decimal]] = {}
    rounded = est.rounded(CENT)
    for *key, internet, cross in zip(  # one row per repository
        rounded["account_id"],
        rounded["region"],
        rounded["repository"],
        rounded["internet_usd"],
        rounded["cross_region_usd"],
        strict=True,
    ):  # rounded to the cent with the report's controlled rounding: the rows add up to the footer
        k = (str(key[0]), str(key[1]), str(key[2]))
        before = money.get(k, (ZERO, ZERO))
        money[k] = (before[0] + internet, before[1] + cross)
    rows = []
    for record in sums.to_dict("records"):  # one row per repository
        k = (str(record["account_id"]), str(record["region"]), str(record["repository"]))
        row: dict[str, object] = dict(zip(KEY, k, strict=True))
        total = 0
        for c in CLASSES:
            n = int(record[f"{c}_bytes"])
            row[f"{c}_gb"] = Decimal(n) / GB
            total += n
        row["total_gb"] = Decimal(total) / GB
        internet, cross = money.get(k, (ZERO, ZERO))
        row["internet_usd"], row["cross_region_usd"] = internet, cross
        row["transfer_usd"] = internet + cross
        rows.append(row)
    out = pd.DataFrame(rows, columns=columns)
    order = sorted(range(len(out)), key=lambda i: (-out["total_gb"][i], out["repository"][i]))
    return out.iloc[order].reset_index(drop=True)


def most_pulled(pulls: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    """The ``top`` images by pulls (manifest fetches), then bytes; images only (downloads no pull
    could be tied to are left out)."""
    if pulls is None or not len(pulls):
        return pd.DataFrame(columns=list(pulls.columns) if pulls is not None else [])
    images = pulls[pulls["image_digest"] != ""]
    return images.sort_values(["pull_count", "bytes", "repository"], ascending=[False, False, True]).head(top)
