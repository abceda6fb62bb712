"""What a command reads of its input: some accounts and regions (``--account``, ``--region``), and of
the images only the columns it uses. A partitioned inventory's folders the selection leaves out are
never opened; rows of other accounts or regions in the files that are read are left out after their
checks (a plain inventory, a scenario, the tables at an inventory's top)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from ..core.errors import InputError
from ..core.usage import IMAGE_COLUMNS, Usage, is_keyed, keyed_subset

# The image columns pricing uses (metering: lifetimes, archive windows, an index's children): all but
# these, which are for reports and lifecycle what-ifs (tags, pull times, media types, referrers).
UNPRICED_IMAGE_COLUMNS = ("image_tags", "last_pulled_at", "manifest_media_type", "subject_digest")
PRICED_IMAGE_COLUMNS = tuple(c for c in IMAGE_COLUMNS if c not in UNPRICED_IMAGE_COLUMNS)


@dataclass(frozen=True)
class Select:
    """``accounts`` and ``regions`` to read (empty: every one); ``image_columns``: the images' columns
    to read of a Parquet inventory (None: every one; the others come back empty, as if absent)."""

    accounts: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    image_columns: tuple[str, ...] | None = None

    @classmethod
    def of(
        cls,
        accounts: Iterable[str] = (),
        regions: Iterable[str] = (),
        image_columns: Iterable[str] | None = None,
    ) -> Select:
        return cls(
            frozenset(a.strip() for a in accounts),
            frozenset(r.strip() for r in regions),
            None if image_columns is None else tuple(image_columns),
        )

    @property
    def narrows(self) -> bool:
        return bool(self.accounts or self.regions)

    def wants(self, column: str, value: str) -> bool:
        """Whether a partition folder ``column=value`` is read."""
        chosen = self.accounts if column == "account_id" else self.regions if column == "region" else None
        return not chosen or value in chosen

    def rows(self, table: pd.DataFrame) -> pd.Series:
        """True for the rows of ``table`` in the selected accounts and regions."""
        keep = pd.Series(True, index=table.index)
        for column, chosen in (("account_id", self.accounts), ("region", self.regions)):
            if chosen and column in table:
                keep &= table[column].isin(chosen)  # a categorical compares its categories once
        return keep


EVERYTHING = Select()


def narrowed(usage: Usage, select: Select) -> Usage:
    """``usage`` with only the selected accounts' and regions' rows; an error naming the option when
    nothing is left to price."""
    if not select.narrows:
        return usage
    changes: dict[str, Any] = {}
    # workloads stay: a workload's account and region are where it runs, not its images' registry
    kept_images = None
    for name in ("storage", "transfer", "images", "layers", "repositories", "registries", "pulls"):
        table = getattr(usage, name)
        if table is None or not len(table):
            continue
        if name == "layers" and is_keyed(table):  # keyed layers follow their images
            if kept_images is not None and not bool(kept_images.all()):
                changes[name] = keyed_subset(table, kept_images)
            continue
        keep = select.rows(table)
        if name == "images":
            kept_images = keep.to_numpy()
        if not bool(keep.all()):
            changes[name] = table[keep.to_numpy()].reset_index(drop=True)
    out = replace(usage, **changes) if changes else usage  # replace: keys and metering built afresh
    if not any(t is not None and len(t) for t in (out.storage, out.transfer, out.images)):
        raise nothing_selected(select, usage.source)
    return out


def nothing_selected(select: Select, source: str) -> InputError:
    wanted = [f"account {a}" for a in sorted(select.accounts)]
    wanted += [f"region {r}" for r in sorted(select.regions)]
    return InputError(
        f"nothing in the input is in the selection ({', '.join(wanted)})",
        file=source or None,
        field="account" if select.accounts else "region",
    )
