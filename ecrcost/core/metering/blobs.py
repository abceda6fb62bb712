"""The metering kernel: which blobs an inventory stores, and for how long within a month.

ECR bills compressed blob bytes per hour stored (``TimedStorage-ByteHrs``). Within a repository each
layer digest is stored once; with blob mounting, once per registry (account + region). A blob is
billed while any image holding it is stored: the union of those images' intervals in the month (from
the earliest push, less any gap when every image holding it had been deleted). A multi-arch index holds
no layers of its own; its children's layers count. An image without layer rows (Docker schema 1, or an
inventory without layers) counts its own size as one blob.

Everything that meters storage goes through :class:`Metering`: the estimate, storage by age,
projections and lifecycle what-ifs. Its month-independent part (:class:`Holdings`: one row per image
and blob, from the layers) is built once per inventory; each month is then one DuckDB query over
integer columns, with byte-time sums in 128-bit integers, so exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa

from ..period import Month
from ..sql import DuckDBPyConnection, connect
from ..units import US_PER_SECOND
from .keys import StorageKeys

# Columns of a stored-blobs table (one row per unique blob stored in the month).
STORED = ["repo", "size_bytes", "us", "archived", "holder"]


def microseconds(ts: pd.Series, default: int) -> np.ndarray:
    """Timestamps as integer microseconds since the epoch; NaT → ``default``."""
    values = ts.astype("datetime64[us, UTC]").to_numpy(dtype="datetime64[us]", na_value=np.datetime64("NaT"))
    out = values.astype(np.int64)
    out[np.isnat(values)] = default
    return out


def bounds(month: Month) -> tuple[int, int]:
    """The month as [start, end) in microseconds since the epoch."""
    return int(month.start.timestamp()) * US_PER_SECOND, int(month.end.timestamp()) * US_PER_SECOND


@dataclass(frozen=True)
class Holdings:
    """What each image stores, whatever the month: one row per (image row, blob).

    ``image``: image row; ``repo``: its repository id; ``blob``: blob id (a layer digest's id, or for
    an image billed by its own size, one id of its own); ``size``: bytes. ``basis``: "layers" or "image
    sizes" (no layer data at all). ``bare``: image rows billed by their own size because they have no
    layer rows and are no index.
    """

    image: np.ndarray
    repo: np.ndarray
    blob: np.ndarray
    size: np.ndarray
    basis: str
    bare: np.ndarray


@dataclass(frozen=True)
class Lifetimes:
    """Per image row, within one month: stored over [start, end) (µs since the epoch; end == start:
    not stored this month) and whether it is in the archive storage class."""

    month: Month
    start: np.ndarray
    end: np.ndarray
    archived: np.ndarray

    @classmethod
    def of(cls, images: pd.DataFrame, month: Month) -> Lifetimes:
        """The images as the inventory records them: pushed_at to deleted_at, clipped to the month."""
        ms, me = bounds(month)
        return cls(
            month,
            np.clip(microseconds(images["pushed_at"], ms), ms, me),
            np.clip(microseconds(images["deleted_at"], me), ms, me),
            (images["image_status"] == "ARCHIVED").to_numpy(dtype=bool),
        )

    def steady(self, keep: np.ndarray, archive: np.ndarray) -> Lifetimes:
        """The ``keep`` images stored for the whole month (the others not at all), in the archive class
        if they are already or ``archive`` moves them: the steady state a lifecycle what-if prices."""
        ms, me = bounds(self.month)
        return Lifetimes(
            self.month,
            np.where(keep, ms, me).astype(np.int64),
            np.full(len(keep), me, dtype=np.int64),
            (self.archived | archive) & keep,
        )


@dataclass(frozen=True)
class Stored:
    """Storage of one month per repository and class: ``lines`` has account_id, region, repository,
    storage_class ("standard" | "archive"), byte_us (Python int: bytes × µs stored) and blobs (unique
    blobs billed); ``basis`` and ``bare`` (images billed by their own size) as in :class:`Holdings`."""

    lines: pd.DataFrame
    basis: str
    bare: int


class Metering:
    """The metering kernel of one inventory (images, layers and their integer keys)."""

    def __init__(self, images: pd.DataFrame, layers: pd.DataFrame | None, keys: StorageKeys) -> None:
        self.images = images
        self.layers = layers
        self.keys = keys
        self._months: dict[tuple[Month, bool], pa.Table] = {}

    @cached_property
    def holdings(self) -> Holdings:
        keys, images, layers = self.keys, self.images, self.layers
        n = len(images)
        has_children = np.zeros(n, dtype=bool)
        has_children[keys.parent[keys.parent >= 0]] = True
        size = images["size_bytes"].to_numpy(dtype=np.int64)
        if layers is None or keys.layer_image is None or keys.blob is None:
            own = np.flatnonzero(~has_children).astype(np.int32)
            return Holdings(own, keys.repo[own], own, size[own], "image sizes", own)
        rows = keys.layer_image
        known = rows >= 0
        has_layers = np.bincount(rows[known], minlength=n) > 0
        bare = np.flatnonzero(~has_layers & ~has_children).astype(np.int32)
        n_blob = int(keys.blob.max(initial=-1)) + 1
        blob_type = np.int32 if n_blob + n < 2**31 else np.int64
        image = np.concatenate([rows[known], bare]).astype(np.int32)
        return Holdings(
            image,
            keys.repo[image],
            np.concatenate([keys.blob[known].astype(blob_type), (n_blob + bare).astype(blob_type)]),
            np.concatenate([layers["size_bytes"].to_numpy(dtype=np.int64)[known], size[bare]]),
            "layers",
            bare,
        )

    def lifetimes(self, month: Month) -> Lifetimes:
        return Lifetimes.of(self.images, month)

    def stored(self, life: Lifetimes, mounting: bool, holders: bool = False) -> pa.Table:
        """One row per unique blob stored in ``life``'s month (columns ``STORED``): the repository id
        it is charged to (``repo``), its size, the µs it is stored (``us``: the union of its holders'
        intervals), whether it is archive storage (every holder archived) and, with ``holders``, the
        image row it is attributed to (the newest holder it is billed for; -1 otherwise).

        With blob mounting a blob is charged to the repository that pushed it first (ties by name:
        repository ids are in name order)."""
        con = connect()
        try:
            return con.sql(self._unique(con, life, mounting, holders)).to_arrow_table()
        finally:
            con.close()

    def _unique(self, con: DuckDBPyConnection, life: Lifetimes, mounting: bool, holders: bool) -> str:
        """The query of :meth:`stored`, its input registered on ``con`` as ``blobs``."""
        h, keys = self.holdings, self.keys
        _, me = bounds(life.month)
        live = life.end > life.start
        keep = live[h.image]
        every = bool(keep.all())  # usually: then no holding row needs copying

        def rows(values: np.ndarray) -> np.ndarray:
            return values if every else values[keep]

        img, repo = rows(h.image), rows(h.repo)
        mounting = mounting and h.basis == "layers"
        columns = {
            "repo": repo,
            "blob": rows(h.blob),
            "size_bytes": rows(h.size),
            "s": life.start[img],
            "e": life.end[img],
            "archived": life.archived[img],
        }
        if mounting:
            columns["scope"] = keys.registry[repo]
        if holders:
            columns["img"] = img
            columns["newness"] = self._newness[img]
        blobs = pa.table(columns)  # zero-copy: DuckDB scans the numpy buffers
        scope = "scope" if mounting else "repo"
        if bool((columns["e"] == me).all()):
            # Nothing deleted within the month: each blob is stored from its earliest push to the end.
            stored, source = "max(e) - min(s)", "blobs"
        else:
            # The union of intervals: sorted by start, each adds what reaches past the latest end before it.
            stored = "sum(greatest(e - greatest(s, coalesce(prev_e, s)), 0))"
            source = f"""(SELECT *, max(e) OVER (PARTITION BY {scope}, blob ORDER BY s, e
                                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_e
                          FROM blobs)"""
        owner = "min({'s': s, 'r': repo}).r" if mounting else "repo"
        holder = (
            """CASE WHEN bool_and(archived) THEN arg_max(img, newness)
                    ELSE arg_max(img, newness) FILTER (WHERE NOT archived) END"""
            if holders
            else "-1"
        )
        con.register("blobs", blobs)
        return f"""
            SELECT {owner} AS repo, max(size_bytes) AS size_bytes, ({stored})::BIGINT AS us,
                   bool_and(archived) AS archived, ({holder})::BIGINT AS holder
            FROM {source} GROUP BY {scope}, blob"""

    @cached_property
    def _newness(self) -> np.ndarray:
        """Per image row, its rank by push time (ties by row): the newest holder has the highest."""
        pushed = microseconds(self.images["pushed_at"], 0)
        n = len(pushed)
        rank = np.empty(n, dtype=np.int64)
        rank[np.lexsort((np.arange(n), pushed))] = np.arange(n, dtype=np.int64)
        return rank

    def storage(self, month: Month, mounting: bool, life: Lifetimes | None = None) -> Stored:
        """Byte-time stored in the month per (account, region, repository, storage class); ``life``
        (default: the inventory's own lifetimes) lets a what-if meter another state."""
        cached = self._months.get((month, mounting)) if life is None else None
        con = connect()
        try:
            if cached is not None:
                con.register("kept", cached)
                source = "kept"
            else:  # one query: the unique blobs are aggregated as they are found
                source = f"({self._unique(con, life or self.lifetimes(month), mounting, holders=False)})"
            found = con.execute(f"""
                SELECT repo, CASE WHEN archived THEN 'archive' ELSE 'standard' END AS storage_class,
                       sum(size_bytes::HUGEINT * us) AS byte_us, count(*) AS blobs
                FROM {source} GROUP BY ALL ORDER BY ALL""").fetchall()  # HUGEINT sums: exact Python ints
        finally:
            con.close()
        lines = self.keys.repos.iloc[np.array([r[0] for r in found], dtype=np.int64)].reset_index(drop=True)
        lines["storage_class"] = pd.Series([r[1] for r in found], dtype=object)
        lines["byte_us"] = pd.Series([r[2] for r in found], dtype=object)
        lines["blobs"] = pd.Series([r[3] for r in found], dtype=np.int64)
        h = self.holdings
        life = life or self.lifetimes(month)
        bare = int((life.end[h.bare] > life.start[h.bare]).sum()) if h.basis == "layers" else 0
        return Stored(lines, h.basis, bare)

    def attributed(self, month: Month, mounting: bool) -> pa.Table:
        """:meth:`stored` with each blob's holder, kept for the month: storage by age and the estimate of
        the same month then share one pass over the holdings."""
        key = (month, mounting)
        if key not in self._months:
            self._months[key] = self.stored(self.lifetimes(month), mounting, holders=True)
        return self._months[key]
