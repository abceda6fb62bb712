"""Scenario files to start a what-if from: a commented starter (``ecrcost scenario init``), and the
scenario that reproduces an inventory's estimate (``ecrcost scenario from``), priced back to show it
does (docs/formats.md#scenario-csv)."""

from __future__ import annotations

import tempfile
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from ..core.errors import InputError
from ..core.estimate import Estimate
from ..core.frames import tuples
from ..core.money import CENT, ZERO
from ..core.options import PricingOptions
from ..core.pricing import estimate
from ..core.usage import KEY, Usage
from ..sources.load import load
from ..sources.scenario import MAX_ROWS, read_scenario

# What each column holds, in the order a starter file lists them (the reader's columns; a test keeps
# the two lists the same).
GUIDE = {
    "repository": "required. Repository name; namespaces allowed (team-a/web-app).",
    "region": "Region code of the registry (default us-east-1).",
    "account_id": "12-digit account id (optional).",
    "team": "Who pays: reports and exports split cost by it (optional).",
    "registry": "private (default) or public (ECR Public, us-east-1 only).",
    "storage_class": "standard (default) or archive.",
    "storage_gb": "required. Average GB stored over the month, deduplicated (GB = 2^30 bytes).",
    "internet_out_gb": "GB pulled to destinations outside AWS this month (volume tiers apply).",
    "cross_region_out_gb": "GB pulled by AWS compute in another region.",
    "destination_region": "The region receiving cross_region_out_gb (the rate depends on the pair).",
    "same_region_out_gb": "GB pulled inside the region (free; reported).",
    "nat_gateway_gb": "Of those pulls, GB through a NAT gateway (billed under Amazon VPC; reported apart).",
    "interface_endpoint_gb": "GB through an interface endpoint (AWS PrivateLink; reported apart).",
    "archive_restored_gb": "GB restored from the archive class this month (a retrieval charge).",
}
EXAMPLE = [
    "team-a/web-app,us-east-1,123456789012,team-a,private,standard,120,850,300,eu-west-1,5200,0,0,0",
    "team-a/web-app,us-east-1,123456789012,team-a,private,archive,400,0,0,,0,0,0,25",
    "team-b/api,eu-west-1,123456789012,team-b,private,standard,35,40,0,,900,300,0,0",
]

# The usage quantity each charge's lines measure, as a scenario column (storage: by storage class).
STORAGE_CLASS = {"standard_storage": "standard", "public_storage": "standard", "archive_storage": "archive"}
TRANSFER_COLUMN = {
    "internet": "internet_out_gb",
    "public_internet": "internet_out_gb",
    "cross_region": "cross_region_out_gb",
    "public_to_aws": "cross_region_out_gb",
    "same_region": "same_region_out_gb",
    "nat_gateway": "nat_gateway_gb",
    "interface_endpoint": "interface_endpoint_gb",
    "archive_retrieval": "archive_restored_gb",
}
GB_COLUMNS = [c for c in GUIDE if c.endswith("_gb")]
# Quantities are written to 1e-15 GB (about a millionth of a byte): the scenario prices to the same cents.
PLACES = Decimal("1e-15")


def template() -> str:
    """A starter scenario: a guide to every column in ``#`` lines, then a header and example rows."""
    width = max(map(len, GUIDE))
    guide = [f"#   {name:<{width}}  {meaning}" for name, meaning in GUIDE.items()]
    lines = [
        "# An ecrcost scenario: one row per repository and storage class, volumes for one month.",
        "# Price it:  ecrcost estimate THIS_FILE --month YYYY-MM",
        "# Lines starting with # before the header are ignored. Columns (in any order; leave out the",
        "# optional ones you do not need, blank cells take the default):",
        *guide,
        "# A repository pulled to several regions takes one more row per destination region, with",
        "# storage_gb 0 on it. Other columns are kept as repository tags. Replace the example rows.",
        ",".join(GUIDE),
        *EXAMPLE,
    ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Reproduction:
    """``text``: the scenario CSV; ``inventory``: the estimate it reproduces; ``scenario``: the scenario
    priced back under the same options; ``left_out``: what a scenario cannot hold, as sentences."""

    text: str
    rows: int
    inventory: Estimate
    scenario: Estimate
    left_out: tuple[str, ...]

    @property
    def difference(self) -> Decimal:
        """The scenario's total minus the inventory's, both to the cent."""
        return self.scenario.totals(CENT)["total_usd"] - self.inventory.totals(CENT)["total_usd"]


def from_inventory(path: Path, options: PricingOptions) -> Reproduction:
    """The scenario whose estimate is ``path``'s: each repository's GB-month per storage class and GB
    per transfer class and destination, as the inventory's line items measure them."""
    usage = load(path, options.prices)
    source = estimate(usage, options=options)
    rows, left_out = _rows(source, _teams(usage))
    if len(rows) > MAX_ROWS:
        raise InputError(
            f"the scenario would have {len(rows):,} rows, more than a scenario may ({MAX_ROWS:,})", file=path
        )
    columns = list(GUIDE) if any(r["team"] for r in rows) else [c for c in GUIDE if c != "team"]
    title = (
        f"# Scenario from the inventory {path.name} for {options.month}: its estimate, one row per "
        "repository, storage class and destination region (ecrcost scenario from).\n"
    )
    notes = "".join(f"# Not in this scenario: {note}\n" for note in left_out)
    body = "".join(
        ",".join(_cell(r.get(c, ZERO if c in GB_COLUMNS else "")) for c in columns) + "\n" for r in rows
    )
    text = title + notes + ",".join(columns) + "\n" + body
    with tempfile.TemporaryDirectory(prefix="ecrcost-scenario-") as folder:
        written = Path(folder) / "scenario.csv"
        written.write_text(text, encoding="utf-8")
        back = estimate(read_scenario(written, options.prices), options=options)
    return Reproduction(text, len(rows), source, back, tuple(left_out))


def _teams(usage: Usage) -> dict[tuple[str, str, str], str]:
    """The ``team`` tag of each repository the input knows tags for (account, region, repository)."""
    if usage.repositories is None:
        return {}
    out = {}
    for account, region, repository, tags in tuples(
        usage.repositories, ["account_id", "region", "repository", "tags"]
    ):
        team = next((v for k, v in tags.items() if k.casefold() == "team"), "")
        if team:
            out[account, region, repository] = team
    return out


def _rows(est: Estimate, teams: dict[tuple[str, str, str], str]) -> tuple[list[dict[str, object]], list[str]]:
    """Scenario rows from the line items: per repository a row per storage class, the transfer of
    every destination region on a row of its own (the first one shares the standard row)."""
    storage: dict[tuple[object, ...], dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    transfer: dict[tuple[object, ...], dict[str, dict[str, Decimal]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(lambda: ZERO))
    )
    early_gb, early_usd = ZERO, ZERO
    for *key, charge, destination, quantity, cost in tuples(
        est.lines, [*KEY, "charge", "destination_region", "quantity", "cost"]
    ):
        k = tuple(key)
        if charge in STORAGE_CLASS:
            storage[k][STORAGE_CLASS[charge]] += quantity
        elif charge in TRANSFER_COLUMN:
            column = TRANSFER_COLUMN[charge]
            to = destination if column == "cross_region_out_gb" else ""
            transfer[k][to][column] += quantity
        elif charge == "archive_early_deletion":
            early_gb, early_usd = early_gb + quantity, early_usd + cost
    rows: list[dict[str, object]] = []
    for k in tuples(est.roster, KEY):
        account, region, registry, repository = k
        base = {"repository": repository, "region": region, "account_id": account, "registry": registry}
        base["team"] = teams.get((account, region, repository), "")
        by_destination = transfer.get(k, {})
        # the transfer without a destination (internet, same region…) rides on the first destination's row
        shared = by_destination.pop("", {})
        destinations = sorted(by_destination.items()) or [("", {})]
        classes = storage.get(k) or {"standard": ZERO}
        main = "standard" if "standard" in classes else next(iter(classes))
        for storage_class, gb in sorted(classes.items(), key=lambda item: item[0] != main):
            if storage_class != main:
                rows.append(
                    base | {"storage_class": storage_class, "destination_region": "", "storage_gb": gb}
                )
                continue
            for i, (to, moved) in enumerate(destinations):  # storage once, on the first of them
                first = {"storage_gb": gb, **shared} if i == 0 else {"storage_gb": ZERO}
                rows.append(base | {"storage_class": storage_class, "destination_region": to} | first | moved)
    left_out = []
    if early_gb:
        left_out.append(
            f"archive early deletion, {_cell(early_gb.quantize(Decimal('0.001')))} GB-month, "
            f"${early_usd.quantize(CENT)} (a scenario has no column for it)"
        )
    return rows, left_out


def _cell(value: object) -> str:
    """A CSV cell: GB to 1e-15, without trailing zeros; text quoted when it must be."""
    if isinstance(value, Decimal):
        text = format(value.quantize(PLACES).normalize(), "f")
        return "0" if text in ("0", "-0") else text
    text = str(value or "")
    return f'"{text.replace(chr(34), chr(34) * 2)}"' if any(ch in text for ch in ',"\n\r') else text
