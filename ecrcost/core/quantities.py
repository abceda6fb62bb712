"""What the model prices: a usage's quantities, one row per repository, destination and measure.

Measures: ``standard_gb_month`` and ``archive_gb_month`` (storage, by class; metered from images and
layers or given by a scenario), and the transfer columns of :mod:`ecrcost.core.usage`
(``internet_out_gb``, ``cross_region_out_gb`` by destination, ``same_region_out_gb``,
``archive_restored_gb``, ``nat_gateway_gb``, ``interface_endpoint_gb``). Amounts are exact Decimals;
rows with nothing in them are left out, while ``roster`` keeps every repository the usage names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd

from .metering.blobs import Lifetimes, Stored
from .money import CONTEXT
from .options import PricingOptions
from .period import Month
from .units import GB, US_PER_SECOND
from .usage import KEY, TRANSFER_GB, Usage

COLUMNS = [*KEY, "destination_region", "measure", "amount"]
STORAGE_MEASURE = {"standard": "standard_gb_month", "archive": "archive_gb_month"}


@dataclass(frozen=True)
class Quantities:
    """``rows``: ``COLUMNS``; ``roster``: KEY of every repository named, sorted; ``basis``: where
    storage comes from ("layers", "image sizes" or "scenario"); ``notes``: what to say about it."""

    rows: pd.DataFrame
    roster: pd.DataFrame
    basis: str
    notes: tuple[str, ...]
    assumptions: dict[str, object] = field(default_factory=dict)

    def __repr__(self) -> str:
        rows, repos = len(self.rows), len(self.roster)
        return f"<Quantities: {rows:,} rows, {repos:,} repositories, storage from {self.basis}>"


def measure(usage: Usage, options: PricingOptions, life: Lifetimes | None = None) -> Quantities:
    """The quantities of ``usage`` in ``options.month``. ``life`` (inventories): the images' lifetimes
    in the month when not those the inventory records (a lifecycle what-if's states)."""
    parts, notes, basis = [], [], "scenario"
    assumptions: dict[str, object] = {}
    if usage.images is not None:
        stored = usage.metering.storage(options.month, options.blob_mounting, life)
        parts.append(storage_rows(stored, options.month))
        basis = stored.basis
        notes += storage_notes(stored, options.blob_mounting)
        assumptions = mounting_assumptions(usage.metering.mounting_report(options.blob_mounting))
        in_effect = assumptions["blob_mounting_in_effect"]
        if options.blob_mounting == "collected" and in_effect != "off":
            notes.append(f"Blob mounting applied where collect found it enabled: {in_effect}.")
        if life is None:  # the inventory's own month: images that left the archive too early pay the rest
            early = usage.metering.early_deletion(options.month)
            notes += archive_notes(usage.metering.lifetimes(options.month), early)
            parts.append(early_rows(early, options.month))
    if len(usage.storage):
        s = usage.storage
        parts.append(
            s[KEY].assign(
                destination_region="",
                measure=s["storage_class"].map(STORAGE_MEASURE),
                amount=s["storage_gb"],
            )
        )
    transfer = usage.transfer
    if len(transfer) and "destination_region" not in transfer:  # a hand-built table may leave it out
        transfer = transfer.assign(destination_region="")
    if len(transfer):
        present = [c for c in TRANSFER_GB if c in transfer]
        long = transfer.melt(
            id_vars=[*KEY, "destination_region"], value_vars=present, var_name="measure", value_name="amount"
        )
        # Only transfer to another region depends on where it goes.
        long["destination_region"] = long["destination_region"].where(
            long["measure"] == "cross_region_out_gb", ""
        )
        parts.append(long)
    named = [p[KEY] for p in parts] + ([transfer[KEY]] if len(transfer) else [])
    roster = (
        pd.concat(named, ignore_index=True).drop_duplicates().sort_values(KEY).reset_index(drop=True)
        if named
        else pd.DataFrame(columns=KEY)
    )
    rows = (
        pd.concat([p[COLUMNS] for p in parts], ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS)
    )
    rows = rows.loc[np.array([bool(v) for v in rows["amount"]], dtype=bool)]
    by = [*KEY, "destination_region", "measure"]
    if rows.duplicated(by).any():  # one row per repository, destination and measure
        rows = rows.groupby(by, sort=True, as_index=False).agg(
            amount=("amount", lambda v: sum(v, Decimal(0)))
        )
    return Quantities(rows.reset_index(drop=True)[COLUMNS], roster, basis, tuple(notes), assumptions)


def mounting_assumptions(registries: list[dict[str, object]]) -> dict[str, object]:
    """How blob mounting was applied: per registry, and in one phrase for people."""
    on = sum(1 for r in registries if r["blob_mounting"])
    phrase = (
        "on"
        if on == len(registries) and on
        else "off"
        if not on
        else f"on in {on} of {len(registries)} registries"
    )
    return {"blob_mounting_in_effect": phrase, "blob_mounting_registries": registries}


def of_stored(stored: Stored, options: PricingOptions) -> Quantities:
    """The quantities of metered storage alone (a lifecycle what-if's before and after states)."""
    rows = storage_rows(stored, options.month)
    rows = rows.loc[np.array([bool(v) for v in rows["amount"]], dtype=bool)].reset_index(drop=True)
    roster = stored.lines[["account_id", "region", "repository"]].assign(registry="private")[KEY]
    roster = roster.drop_duplicates().sort_values(KEY).reset_index(drop=True)
    notes = tuple(storage_notes(stored, options.blob_mounting))
    return Quantities(rows[COLUMNS], roster, stored.basis, notes)


def storage_rows(stored: Stored, month: Month) -> pd.DataFrame:
    """Metered byte-time as GB-month rows, by storage class."""
    return gb_month_rows(stored.lines, month, stored.lines["storage_class"].map(STORAGE_MEASURE))


def archive_notes(life: Lifetimes, early: pd.DataFrame) -> list[str]:
    """What the archive's time line changed this month."""
    notes = []
    moved = int((np.bincount(life.image) > 1).sum()) if len(life.image) else 0
    if moved:
        notes.append(
            f"{moved} image(s) moved to or from the archive during {life.month}: billed by the hour in "
            "each storage class."
        )
    if len(early):
        notes.append(
            f"{len(early)} image(s) left the archive before its 90-day minimum: the remaining days are "
            "charged in the month they left (archive early deletion)."
        )
    return notes


def early_rows(early: pd.DataFrame, month: Month) -> pd.DataFrame:
    """The archive minimum's remaining byte-time as GB-month rows of the month the image left."""
    return gb_month_rows(early, month, "archive_early_gb_month")


def gb_month_rows(frame: pd.DataFrame, month: Month, measure: pd.Series | str) -> pd.DataFrame:
    """Rows of byte-µs (account_id, region, repository, byte_us) as GB-month rows of ``measure``:
    byte-µs / 2^30 / the month's µs, exact to 60 digits."""
    denominator = Decimal(GB * month.seconds * US_PER_SECOND)
    return frame[["account_id", "region", "repository"]].assign(
        registry="private",
        destination_region="",
        measure=measure,
        # pandas-stubs allow no Decimal cells, which this object column holds
        amount=[CONTEXT.divide(Decimal(b), denominator) for b in frame["byte_us"]],  # type: ignore[misc]
    )


def storage_notes(stored: Stored, blob_mounting: str) -> list[str]:
    notes = []
    if stored.bare:
        notes.append(
            f"{stored.bare} image(s) had no layer rows (e.g. Docker schema 1): billed by their image size."
        )
    if stored.basis == "image sizes":
        notes.append(
            "No layer data: storage is the sum of image sizes, so layers shared between images are "
            "over-counted. Add layers.csv (or run collect) for deduplicated storage."
        )
        if blob_mounting == "on":
            notes.append("Blob mounting has no effect without layer data.")
    return notes
