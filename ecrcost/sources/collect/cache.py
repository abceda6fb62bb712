"""An on-disk manifest cache keyed by digest: manifests are immutable, so each is fetched once ever.

Fetching a manifest (BatchGetImage) counts as a pull and resets the image's ``lastRecordedPullTime``;
the cache keeps a second collection of an unchanged registry from making any BatchGetImage call.
One SQLite file (``manifests.sqlite``, WAL journal) rather than a file per digest: a crawl of many
accounts holds millions of manifests, and a batch of 100 is one transaction.

Only manifests that match their digest are stored, and every one read back is checked again: an entry
written by an older version, another program or a damaged disk is dropped, never served.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from .digests import mismatch

CHUNK = 500  # digests per lookup query (SQLite's default variable limit is 999+)


def default_dir() -> Path:
    """``$XDG_CACHE_HOME/ecrcost/manifests`` (``~/.cache/ecrcost/manifests`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ecrcost" / "manifests"


class ManifestCache:
    """``get_many`` / ``put_many`` manifest text and media type by digest. Thread-safe (one connection
    behind a lock); several processes may share the file. ``folder`` None: no cache. A cache that
    cannot be opened or written only costs calls."""

    def __init__(self, folder: Path | None) -> None:
        self.lock = threading.Lock()
        self.db: sqlite3.Connection | None = None
        if folder is None:
            return
        try:
            folder.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(folder / "manifests.sqlite", check_same_thread=False, timeout=30)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS manifests "
                "(digest TEXT PRIMARY KEY, media_type TEXT NOT NULL, manifest TEXT NOT NULL)"
            )
            db.commit()
            self.db = db
        except (OSError, sqlite3.Error):
            self.db = None

    def get_many(self, digests: Iterable[str]) -> dict[str, tuple[str, str]]:
        """digest → (manifest text, media type) for the digests held whose manifest matches them;
        entries that do not match are deleted."""
        wanted = list(digests)
        found: dict[str, tuple[str, str]] = {}
        if self.db is None:
            return found
        spoiled: list[str] = []
        with self.lock:
            try:
                for start in range(0, len(wanted), CHUNK):
                    chunk = wanted[start : start + CHUNK]
                    rows = self.db.execute(
                        "SELECT digest, manifest, media_type FROM manifests WHERE digest IN "
                        f"({','.join('?' * len(chunk))})",
                        chunk,
                    )
                    for d, m, t in rows:
                        if all(isinstance(v, str) for v in (d, m, t)) and mismatch(d, m) is None:
                            found[d] = (m, t)
                        else:
                            spoiled.append(d)
                if spoiled:
                    self.db.executemany("DELETE FROM manifests WHERE digest = ?", [(d,) for d in spoiled])
                    self.db.commit()
            except sqlite3.Error:
                pass
        return found

    def put_many(self, entries: Iterable[tuple[str, str, str]]) -> None:
        """Store (digest, manifest text, media type) entries in one transaction: those whose manifest
        matches its digest (callers verify first; this keeps the file clean whoever calls)."""
        rows = [(d, m, t) for d, m, t in entries if mismatch(d, m) is None]
        if self.db is None or not rows:
            return
        with self.lock:
            try:
                self.db.executemany(
                    "INSERT OR REPLACE INTO manifests VALUES (?, ?, ?)", [(d, t, m) for d, m, t in rows]
                )
                self.db.commit()
            except sqlite3.Error:
                self.db.rollback()

    def get(self, digest: str) -> tuple[str, str] | None:
        return self.get_many([digest]).get(digest)

    def put(self, digest: str, manifest: str, media_type: str) -> None:
        self.put_many([(digest, manifest, media_type)])

    def close(self) -> None:
        if self.db is not None:
            with self.lock:
                self.db.close()
                self.db = None
