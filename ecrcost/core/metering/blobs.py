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


def microseconds(ts: pd.Series, default: int) -> np.ndarray:
    """Timestamps as integer microseconds since the epoch; NaT → ``default``."""
    values = ts.astype("datetime64[us, UTC]").to_numpy(dtype="datetime64[us]", na_value=np.datetime64("NaT"))
    out = values.astype(np.int64)
    out[np.isnat(values)] = default
    return out


MINIMUM_ARCHIVE_US = 90 * 86_400 * US_PER_SECOND  # "a minimum storage duration of 90 days"


def bounds(month: Month) -> tuple[int, int]:
    """The month as [start, end) in microseconds since the epoch."""
    return int(month.start.timestamp()) * US_PER_SECOND, int(month.end.timestamp()) * US_PER_SECOND


@dataclass(frozen=True)
class Holdings:
    """What each image stores, whatever the month: rows of (image row, blob, size).

    ``parts``: the rows in pieces of (image rows, blob ids, sizes in bytes) — the layer rows as the keys
    hold them (no copy: at 100M layer rows that is 1.6 GB), then the images billed by their own size,
    each a blob of its own id. ``basis``: "layers" or "image sizes" (no layer data at all). ``bare``:
    image rows billed by their own size because they have no layer rows and are no index.
    ``image_repo``: the repository id of each image row.
    """

    parts: tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...]
    basis: str
    bare: np.ndarray
    image_repo: np.ndarray

    def table(self) -> pa.Table:
        """The holdings as Arrow (blob, size_bytes, img) over the parts' buffers: DuckDB scans them."""
        schema = pa.schema(
            [
                ("blob", pa.from_numpy_dtype(self.parts[0][1].dtype) if self.parts else pa.int32()),
                ("size_bytes", pa.int64()),
                ("img", pa.int32()),
            ]
        )
        return pa.Table.from_batches(
            [pa.record_batch([blob, size, image], schema=schema) for image, blob, size in self.parts], schema
        )


@dataclass(frozen=True)
class Lifetimes:
    """When each image is stored within one month, and in which storage class: segments [start, end)
    (µs since the epoch), each of one image row (``image``) in one class (``archived``). An image has
    one segment, or none when it is not stored that month, or several when it moved to or from the
    archive during the month (standard until ``last_archived_at``, archive until ``last_activated_at``
    if later, then standard again)."""

    month: Month
    image: np.ndarray  # int64 image row of each segment, ascending
    start: np.ndarray
    end: np.ndarray
    archived: np.ndarray

    @classmethod
    def of(cls, images: pd.DataFrame, month: Month) -> Lifetimes:
        """The images as the inventory records them: pushed_at to deleted_at, clipped to the month, the
        archive from last_archived_at (an ARCHIVED image without that date: all along) to
        last_activated_at when that is later (an image restored since)."""
        ms, me = bounds(month)
        s = np.clip(microseconds(images["pushed_at"], ms), ms, me)
        e = np.clip(microseconds(images["deleted_at"], me), ms, me)
        a0, a1 = archive_window(images)
        return cls.split(month, s, e, np.clip(a0, s, e), np.clip(a1, s, e))

    @classmethod
    def split(cls, month: Month, s: np.ndarray, e: np.ndarray, a0: np.ndarray, a1: np.ndarray) -> Lifetimes:
        """Segments of images stored over [s, e) and archived over [a0, a1) (both clipped to [s, e))."""
        n = len(s)
        rows = np.arange(n, dtype=np.int64)
        starts = np.concatenate([s, a0, a1])
        ends = np.concatenate([a0, a1, e])
        keep = ends > starts
        image = np.concatenate([rows, rows, rows])[keep]
        order = np.argsort(image, kind="stable")  # by image, then before / during / after the archive
        archived = np.concatenate([np.zeros(n, bool), np.ones(n, bool), np.zeros(n, bool)])[keep]
        return cls(month, image[order], starts[keep][order], ends[keep][order], archived[order])

    @classmethod
    def steady(cls, month: Month, keep: np.ndarray, archived: np.ndarray) -> Lifetimes:
        """The ``keep`` images stored for the whole month (the others not at all), the ``archived`` ones
        in the archive class: the steady state a lifecycle what-if prices."""
        ms, me = bounds(month)
        s = np.where(keep, ms, me).astype(np.int64)
        e = np.full(len(keep), me, dtype=np.int64)
        return cls.split(month, s, e, np.where(archived & keep, s, e), e)


def archive_window(images: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per image row, [from, until) in the archive storage class (µs; an empty window where never)."""
    never, forever = np.iinfo(np.int64).min, np.iinfo(np.int64).max
    status = images["image_status"].astype(str).to_numpy()
    archived_at = _optional_us(images, "last_archived_at")
    activated_at = _optional_us(images, "last_activated_at")
    now_archived = status == "ARCHIVED"
    restored = (archived_at != never) & (activated_at > archived_at)
    a0 = np.where(now_archived, np.where(archived_at != never, archived_at, never), archived_at)
    a1 = np.where(now_archived, forever, np.where(restored, activated_at, never))
    empty = ~now_archived & ~restored
    return np.where(empty, forever, a0), np.where(empty, forever, a1)


def _optional_us(images: pd.DataFrame, column: str) -> np.ndarray:
    never = np.iinfo(np.int64).min
    if column not in images:
        return np.full(len(images), never, dtype=np.int64)
    return microseconds(images[column], never)


@dataclass(frozen=True)
class Stored:
    """Storage of one month per repository and class: ``lines`` has account_id, region, repository,
    storage_class ("standard" | "archive"), byte_us (Python int: bytes × µs stored) and blobs (unique
    blobs billed); ``basis`` and ``bare`` (images billed by their own size) as in :class:`Holdings`."""

    lines: pd.DataFrame
    basis: str
    bare: int


class Metering:
    """The metering kernel of one inventory (images, layers and their integer keys).

    ``sharing``: per repository id, the group of repositories in its registry it may share layers with
    under blob mounting (same account, region, encryption type and key; -1: never shares, e.g. created
    by a pull-through cache rule). ``enabled``: per registry id, whether ``collect`` found blob mounting
    enabled (None: unknown)."""

    def __init__(
        self,
        images: pd.DataFrame,
        layers: pd.DataFrame | None,
        keys: StorageKeys,
        sharing: np.ndarray | None = None,
        enabled: list[bool | None] | None = None,
    ) -> None:
        self.images = images
        self.layers = layers
        self.keys = keys
        self.sharing = keys.registry.astype(np.int64) if sharing is None else sharing
        self.enabled = enabled if enabled is not None else [None] * (int(keys.registry.max(initial=-1)) + 1)
        self._months: dict[tuple[Month, str], pa.Table] = {}
        self._lifetimes: dict[Month, Lifetimes] = {}

    @cached_property
    def holdings(self) -> Holdings:
        keys, images, layers = self.keys, self.images, self.layers
        n = len(images)
        has_children = np.zeros(n, dtype=bool)
        has_children[keys.parent[keys.parent >= 0]] = True
        size = images["size_bytes"].to_numpy(dtype=np.int64)
        if layers is None or keys.layer_image is None or keys.blob is None:
            own = np.flatnonzero(~has_children).astype(np.int32)
            return Holdings(((own, own, size[own]),), "image sizes", own, keys.repo)
        rows = keys.layer_image
        known = rows >= 0
        has_layers = np.bincount(rows[known], minlength=n) > 0
        bare = np.flatnonzero(~has_layers & ~has_children).astype(np.int32)
        n_blob = int(keys.blob.max(initial=-1)) + 1
        blob_type = np.int32 if n_blob + n < 2**31 else np.int64
        layer_size = layers["size_bytes"].to_numpy(dtype=np.int64)
        # The layer rows as the keys hold them when every one is placed (a loaded inventory's are):
        # no copy, at 100M layer rows each copy is 400-800 MB.
        whole = bool(known.all()) and rows.dtype == np.int32 and keys.blob.dtype == blob_type
        placed = (
            (rows, keys.blob, layer_size)
            if whole
            else (rows[known].astype(np.int32), keys.blob[known].astype(blob_type), layer_size[known])
        )
        parts = (placed, (bare, (n_blob + bare).astype(blob_type), size[bare])) if len(bare) else (placed,)
        return Holdings(parts, "layers", bare, keys.repo)

    def lifetimes(self, month: Month) -> Lifetimes:
        """The inventory's own lifetimes in ``month`` (worked out once per month)."""
        if month not in self._lifetimes:
            self._lifetimes[month] = Lifetimes.of(self.images, month)
        return self._lifetimes[month]

    def mounted(self, setting: bool | str) -> np.ndarray:
        """Per registry id: whether blob mounting applies under ``setting`` (``on``, ``off`` or
        ``collected``: as collect found it, off where unknown). Without layer data, nothing mounts."""
        n = len(self.enabled)
        if self.holdings.basis != "layers" or setting in (False, "off"):
            return np.zeros(n, dtype=bool)
        if setting in (True, "on"):
            return np.ones(n, dtype=bool)
        return np.array([bool(e) for e in self.enabled], dtype=bool)

    def mounting_report(self, setting: bool | str) -> list[dict[str, object]]:
        """Per registry: account_id, region, blob_mounting (applied or not) and why (the option, or what
        collect found)."""
        mounted = self.mounted(setting)
        collected = {True: "collected: ENABLED", False: "collected: DISABLED", None: "not collected: off"}
        out: list[dict[str, object]] = []
        for g, (account, region) in enumerate(self.keys.registries()):
            if self.holdings.basis != "layers":
                why = "no layer data"
            elif setting in (True, "on", False, "off"):
                why = f"--blob-mounting {'on' if setting in (True, 'on') else 'off'}"
            else:
                why = collected[self.enabled[g]]
            out.append(
                {"account_id": account, "region": region, "blob_mounting": bool(mounted[g]), "source": why}
            )
        return out

    def scopes(self, setting: bool | str) -> np.ndarray:
        """Per repository id, the scope a blob is stored once in: the repository itself, or with blob
        mounting its sharing group (ids after the repositories')."""
        repos = np.arange(len(self.keys.repos), dtype=np.int64)
        shares = self.mounted(setting)[self.keys.registry] & (self.sharing >= 0)
        return np.where(shares, len(repos) + self.sharing, repos)

    def stored(self, life: Lifetimes, mounting: bool | str, holders: bool = False) -> pa.Table:
        """One row per unique blob stored in ``life``'s month: the repository id it is charged to
        (``repo``), its size, the µs it is stored in standard storage (``us_standard``: the union of
        the intervals when a holder is standard) and in the archive (``us_archive``: stored, but by
        archived holders only) and, with ``holders``, the image rows it is attributed to in each class
        (the newest holder of that class; -1 otherwise).

        With blob mounting a blob is charged to the repository that pushed it first (its earliest
        ``pushed_at``; ties by name: repository ids are in name order)."""
        con = connect()
        try:
            return con.sql(self._unique(con, life, mounting, holders)).to_arrow_table()
        finally:
            con.close()

    def _unique(self, con: DuckDBPyConnection, life: Lifetimes, mounting: bool | str, holders: bool) -> str:
        """The query of :meth:`stored`, its inputs registered on ``con`` (``holdings``, ``segments``)."""
        h = self.holdings
        _, me = bounds(life.month)
        scopes = self.scopes(mounting)
        mounted = bool((scopes >= len(scopes)).any())
        # The holdings as they are (no copy), and each image's segments in the month with its
        # repository and scope: DuckDB joins them on the image row, one row per holding and segment;
        # images not stored that month drop out.
        image = life.image.astype(np.int32) if len(self.images) < 2**31 else life.image
        repo = h.image_repo[life.image]
        segments = {
            "img": image,
            "s": life.start,
            "e": life.end,
            "archived": life.archived,
            "repo": repo,
            # without blob mounting a blob's scope is its repository
            "scope": scopes[repo].astype(np.int32 if len(scopes) < 2**30 else np.int64) if mounted else repo,
        }
        if mounted:
            segments["pushed"] = self._pushed[life.image]
        if holders:
            segments["newness"] = self._newness[life.image]
        con.register("holdings", h.table())  # zero-copy: DuckDB scans the numpy buffers
        con.register("segments", pa.table(segments))
        blobs = "(SELECT h.blob, h.size_bytes, g.* FROM holdings h JOIN segments g ON h.img = g.img)"
        if bool((life.end == me).all()):
            # Nothing leaves within the month: each set of intervals ends at the month's end (fewer
            # aggregate states: at 10M holdings each one is hundreds of MB of DuckDB's memory).
            total = f"{me} - min(s)"
            standard = f"coalesce({me} - min(s) FILTER (WHERE NOT archived), 0)"
            source = blobs
        else:
            # The union of intervals: sorted by start, each adds what reaches past the latest end before
            # it; the standard union the same way over the standard intervals alone.
            total = "sum(greatest(e - greatest(s, coalesce(prev_e, s)), 0))"
            standard = """sum(CASE WHEN archived THEN 0
                               ELSE greatest(e - greatest(s, coalesce(prev_std, s)), 0) END)"""
            window = "PARTITION BY scope, blob ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING"
            source = f"""(SELECT *, max(e) OVER ({window}) AS prev_e,
                                 max(CASE WHEN NOT archived THEN e END) OVER ({window}) AS prev_std
                          FROM {blobs})"""
        owner = "min({'p': pushed, 'r': repo}).r" if mounted else "scope"  # unmounted: the repository
        held = (
            """arg_max(img, newness) FILTER (WHERE NOT archived) AS holder_standard,
               arg_max(img, newness) FILTER (WHERE archived) AS holder_archive"""
            if holders
            else "-1 AS holder_standard, -1 AS holder_archive"
        )
        return f"""
            SELECT repo, size_bytes, us_standard, us_total - us_standard AS us_archive,
                   coalesce(holder_standard, -1)::BIGINT AS holder_standard,
                   coalesce(holder_archive, -1)::BIGINT AS holder_archive
            FROM (SELECT {owner} AS repo, max(size_bytes) AS size_bytes, ({total})::BIGINT AS us_total,
                         ({standard})::BIGINT AS us_standard, {held}
                  FROM {source} GROUP BY scope, blob)"""

    @cached_property
    def _pushed(self) -> np.ndarray:
        """Per image row, when it was pushed (µs since the epoch)."""
        return microseconds(self.images["pushed_at"], 0)

    @cached_property
    def _newness(self) -> np.ndarray:
        """Per image row, its rank by push time (ties by row): the newest holder has the highest."""
        pushed = self._pushed
        n = len(pushed)
        rank = np.empty(n, dtype=np.int64)
        rank[np.lexsort((np.arange(n), pushed))] = np.arange(n, dtype=np.int64)
        return rank

    def storage(self, month: Month, mounting: bool | str, life: Lifetimes | None = None) -> Stored:
        """Byte-time stored in the month per (account, region, repository, storage class); ``life``
        (default: the inventory's own lifetimes) lets a what-if meter another state."""
        cached = self._months.get((month, str(mounting))) if life is None else None
        con = connect()
        try:
            if cached is not None:
                con.register("kept", cached)
                source = "kept"
            else:  # one query: the unique blobs are aggregated as they are found
                source = f"({self._unique(con, life or self.lifetimes(month), mounting, holders=False)})"
            found = con.execute(f"""
                SELECT repo, sum(size_bytes::HUGEINT * us_standard), count(*) FILTER (WHERE us_standard > 0),
                       sum(size_bytes::HUGEINT * us_archive), count(*) FILTER (WHERE us_archive > 0)
                FROM {source} GROUP BY repo ORDER BY repo""").fetchall()  # HUGEINT sums: exact Python ints
        finally:
            con.close()
        rows = [
            (repo, storage_class, int(byte_us), int(blobs))
            for repo, std, std_blobs, arc, arc_blobs in found
            for storage_class, byte_us, blobs in (("standard", std, std_blobs), ("archive", arc, arc_blobs))
            if byte_us
        ]
        lines = self.keys.repos.iloc[np.array([r[0] for r in rows], dtype=np.int64)].reset_index(drop=True)
        lines["storage_class"] = pd.Series([r[1] for r in rows], dtype=object)
        lines["byte_us"] = pd.Series([r[2] for r in rows], dtype=object)
        lines["blobs"] = pd.Series([r[3] for r in rows], dtype=np.int64)
        h = self.holdings
        life = life or self.lifetimes(month)
        stored_images = np.zeros(len(self.images), dtype=bool)
        stored_images[life.image] = True
        bare = int(stored_images[h.bare].sum()) if h.basis == "layers" else 0
        return Stored(lines, h.basis, bare)

    def early_deletion(self, month: Month) -> pd.DataFrame:
        """The archive's 90-day minimum: images that left the archive in ``month`` (deleted while archived,
        or restored) less than 90 days after they entered it pay for the days that remain, in that month.
        One row per such image: account_id, region, repository, byte_us (the image's own bytes — its
        blobs, each once — × the µs that remain). An archived image without ``last_archived_at`` is
        skipped: when it entered the archive is unknown."""
        ms, me = bounds(month)
        never, forever = np.iinfo(np.int64).min, np.iinfo(np.int64).max
        a0, a1 = archive_window(self.images)
        deleted = microseconds(self.images["deleted_at"], forever)
        known = (a0 != never) & (a0 != forever)
        deleted_in_archive = known & (a0 <= deleted) & (deleted < a1)
        restored = known & (a1 != forever)
        left = np.where(deleted_in_archive, deleted, np.where(restored, a1, forever))
        remaining = a0 + MINIMUM_ARCHIVE_US - left
        early = np.flatnonzero((left >= ms) & (left < me) & (remaining > 0))
        columns = ["account_id", "region", "repository", "byte_us"]
        if not len(early):
            return pd.DataFrame(columns=columns)
        own = np.zeros(len(self.images), dtype=np.int64)
        for image, _, size in self.holdings.parts:
            mine = np.isin(image, early)
            np.add.at(own, image[mine], size[mine])  # exact int64 sums (bincount would go through floats)
        out = self.keys.repos.iloc[self.keys.repo[early]].reset_index(drop=True)
        out["byte_us"] = [int(own[i]) * int(remaining[i]) for i in early]  # Python ints: exact
        return out[columns]

    def attributed(self, month: Month, mounting: bool | str) -> pa.Table:
        """:meth:`stored` with each blob's holders, kept for the month: storage by age and the estimate
        of the same month then share one pass over the holdings."""
        key = (month, str(mounting))
        if key not in self._months:
            self._months[key] = self.stored(self.lifetimes(month), mounting, holders=True)
        return self._months[key]
