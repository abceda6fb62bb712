"""CloudTrail records → two running aggregates in DuckDB, one batch of files at a time (a month never
sits in memory): layer downloads (``GetDownloadUrlForLayer``) and manifest fetches
(``BatchGetImage``), each grouped by registry, repository, what was fetched, source address and
endpoint. Nothing is read per record in Python.

A trail file is one JSON object, ``{"Records":[…]}``. DuckDB reads a JSON array of records fastest,
in parallel and only the fields named (``read_json`` with ``format='array'``), but it cannot read an
array inside an object. So each file is unzipped (ISA-L's gzip, which frees the GIL: two at a time)
and its array, cut out as it is, written to a scratch folder in memory (``/dev/shm`` where there is
one) for DuckDB to read: 1M records take ~2.5 s to unzip and decode this way, against ~6.5 s through
``read_json_objects`` + ``from_json`` (benchmarks/README.md). A file of another shape goes that slower
way. A file that cannot be read (truncated gzip, not JSON) is a gap, its records left out."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import duckdb
from isal import igzip, isal_zlib

# The fields of a record that matter, as DuckDB's from_json structure; the rest of a record is skipped.
RECORD = {
    "eventSource": "VARCHAR",
    "eventName": "VARCHAR",
    "eventTime": "VARCHAR",
    "awsRegion": "VARCHAR",
    "sourceIPAddress": "VARCHAR",
    "recipientAccountId": "VARCHAR",
    "vpcEndpointId": "VARCHAR",
    "errorCode": "VARCHAR",
    "requestParameters": {
        "registryId": "VARCHAR",
        "repositoryName": "VARCHAR",
        "layerDigest": "VARCHAR",
        "imageIds": [{"imageDigest": "VARCHAR", "imageTag": "VARCHAR"}],
    },
}
STRUCTURE = json.dumps({"Records": [RECORD]})
FILE_ERRORS = (duckdb.IOException, duckdb.InvalidInputException, duckdb.ConversionException)
MAX_OBJECT = 1 << 29  # one trail file is one JSON object: AWS's files stay far below this
GZIP_ERRORS = (OSError, EOFError, cast(type[Exception], isal_zlib.error))  # its stub types it badly
# {"Records":[ … ]}: where the array starts, and how the text ends after it
HEAD = re.compile(rb'\A\s*\{\s*"Records"\s*:\s*(?=\[)')
TAIL = re.compile(rb"\]\s*\}\s*\Z")
SHM = Path("/dev/shm")
SHM_NEEDED = 1 << 30  # free bytes: a 12 MiB batch of gzipped files is ~215 MiB of JSON


def _duck_type(spec: Any) -> str:
    if isinstance(spec, dict):
        return "STRUCT(" + ", ".join(f"{k} {_duck_type(v)}" for k, v in spec.items()) + ")"
    if isinstance(spec, list):
        return _duck_type(spec[0]) + "[]"
    return str(spec)


COLUMNS = "{" + ", ".join(f"'{k}': '{_duck_type(v)}'" for k, v in RECORD.items()) + "}"

DOWNLOADS = """
CREATE TABLE IF NOT EXISTS downloads (account_id VARCHAR, region VARCHAR, repository VARCHAR,
    layer_digest VARCHAR, image_digest VARCHAR, source_ip VARCHAR, endpoint BOOLEAN,
    events BIGINT, first_at TIMESTAMP, last_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS manifests (account_id VARCHAR, region VARCHAR, repository VARCHAR,
    image_digest VARCHAR, image_tag VARCHAR, source_ip VARCHAR, endpoint BOOLEAN,
    events BIGINT, first_at TIMESTAMP, last_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS skipped (reason VARCHAR, events BIGINT);
CREATE TABLE IF NOT EXISTS days (account_id VARCHAR, region VARCHAR, day DATE);
"""


@dataclass
class Trail:
    """The running aggregates of one ``ecrcost pulls`` run (a DuckDB connection of its own)."""

    start: str  # the month's bounds, ISO (events outside are skipped: a trail file spans minutes)
    end: str
    con: duckdb.DuckDBPyConnection = field(default_factory=lambda: duckdb.connect(":memory:"))
    files: int = 0
    bad_files: list[tuple[str, str]] = field(default_factory=list)  # (name, why)

    def __post_init__(self) -> None:
        self.con.execute("SET preserve_insertion_order = false")
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute(DOWNLOADS)

    def add(self, files: list[tuple[Path, str]]) -> None:
        """Fold one batch of trail files (path on disk, name to report) into the aggregates. A batch
        that fails is read again file by file, the slow way, so one bad file costs only itself."""
        if not files:
            return
        scratch = Path(tempfile.mkdtemp(prefix="ecrcost-trail-", dir=_scratch_parent()))
        try:
            with ThreadPoolExecutor(2) as pool:
                cut = list(pool.map(lambda i: _array(files[i][0], scratch / f"{i}.json"), range(len(files))))
            arrays = [a for a in cut if isinstance(a, Path)]
            whole = [path for (path, _), a in zip(files, cut, strict=True) if a is None]
            for (_, name), a in zip(files, cut, strict=True):
                if isinstance(a, str):
                    self.bad_files.append((name, a))
            try:
                self._fold(arrays, whole)
            except FILE_ERRORS:
                for (path, name), a in zip(files, cut, strict=True):
                    if isinstance(a, str):
                        continue
                    try:
                        self._fold([], [path])
                    except FILE_ERRORS as exc:
                        self.bad_files.append((name, _reason(exc, path)))
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        self.files += len(files)

    def _fold(self, arrays: list[Path], whole: list[Path]) -> None:
        """Fold the records of ``arrays`` (JSON arrays of records) and ``whole`` (trail files read as
        they are) into the aggregates, all or nothing."""
        reads = []
        if arrays:
            reads.append(f"SELECT r.* FROM read_json($arrays, format='array', columns={COLUMNS}) AS r")
        if whole:
            reads.append(
                f"""SELECT unnest(r) FROM (SELECT unnest(from_json(json, $structure).Records) AS r
                FROM read_json_objects($whole, maximum_object_size={MAX_OBJECT}))"""
            )
        if not reads:
            return
        con = self.con
        con.execute("BEGIN")
        try:
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE batch AS
                SELECT *, CASE
                    WHEN source IS DISTINCT FROM 'ecr.amazonaws.com' THEN 'not an ECR event'
                    WHEN name NOT IN ('GetDownloadUrlForLayer', 'BatchGetImage') THEN 'not a pull'
                    WHEN error IS NOT NULL THEN 'failed call (errorCode)'
                    WHEN t IS NULL THEN 'no eventTime'
                    WHEN t < $start::TIMESTAMPTZ OR t >= $end::TIMESTAMPTZ THEN 'outside the month'
                    WHEN repository IS NULL OR region IS NULL THEN 'no repository or region'
                    WHEN name = 'GetDownloadUrlForLayer' AND layer_digest IS NULL THEN 'no layerDigest'
                    ELSE '' END AS skip
                FROM (
                    SELECT r.eventName AS name, TRY_CAST(r.eventTime AS TIMESTAMPTZ) AS t,
                        r.awsRegion AS region,
                        coalesce(r.requestParameters.registryId, r.recipientAccountId, '') AS account_id,
                        r.requestParameters.repositoryName AS repository,
                        r.requestParameters.layerDigest AS layer_digest,
                        r.requestParameters.imageIds AS image_ids,
                        coalesce(r.sourceIPAddress, '') AS source_ip,
                        coalesce(r.vpcEndpointId, '') <> '' AS endpoint,
                        r.errorCode AS error, r.eventSource AS source
                    FROM ({" UNION ALL BY NAME ".join(reads)}) AS r)""",
                {
                    **({"arrays": [str(p) for p in arrays]} if arrays else {}),
                    **({"structure": STRUCTURE, "whole": [str(p) for p in whole]} if whole else {}),
                    "start": self.start,
                    "end": self.end,
                },
            )
            con.execute(
                """INSERT INTO skipped SELECT skip, count(*) FROM batch
                WHERE skip NOT IN ('', 'not an ECR event', 'not a pull') GROUP BY skip"""
            )
            con.execute(
                """INSERT INTO days SELECT DISTINCT account_id, region, CAST(timezone('UTC', t) AS DATE)
                FROM batch WHERE t >= ?::TIMESTAMPTZ AND t < ?::TIMESTAMPTZ""",
                [self.start, self.end],
            )  # a day with any record is a day the trail covers
            # Manifests by digest or by tag (one row per image id asked for).
            con.execute(
                """INSERT INTO manifests
                SELECT account_id, region, repository, coalesce(id.imageDigest, ''),
                    coalesce(id.imageTag, ''), source_ip, endpoint, count(*),
                    min(timezone('UTC', t)), max(timezone('UTC', t))
                FROM (SELECT *, unnest(image_ids) AS id FROM batch
                      WHERE skip = '' AND name = 'BatchGetImage')
                GROUP BY ALL"""
            )
            # Each download belongs to the image whose manifest the same address fetched last before
            # it (a pull is BatchGetImage, then its layers); by a tag, the tag is resolved later.
            con.execute(
                """INSERT INTO downloads
                SELECT d.account_id, d.region, d.repository, d.layer_digest,
                    coalesce(nullif(m.digest, ''), CASE WHEN m.tag <> '' THEN 'tag:' || m.tag END, ''),
                    d.source_ip, d.endpoint, count(*), min(timezone('UTC', d.t)),
                    max(timezone('UTC', d.t))
                FROM (SELECT * FROM batch WHERE skip = '' AND name = 'GetDownloadUrlForLayer') d
                ASOF LEFT JOIN (
                    SELECT account_id, region, repository, source_ip, t,
                        coalesce(image_ids[1].imageDigest, '') AS digest,
                        coalesce(image_ids[1].imageTag, '') AS tag
                    FROM batch WHERE skip = '' AND name = 'BatchGetImage') m
                ON d.account_id = m.account_id AND d.region = m.region
                    AND d.repository = m.repository AND d.source_ip = m.source_ip AND d.t >= m.t
                GROUP BY ALL"""
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def skipped(self) -> dict[str, int]:
        rows = self.con.execute("SELECT reason, sum(events) FROM skipped GROUP BY reason").fetchall()
        return {str(r): int(n) for r, n in rows}

    def covered_days(self) -> set[tuple[str, str, str]]:
        rows = self.con.execute("SELECT DISTINCT account_id, region, CAST(day AS VARCHAR) FROM days")
        return {(str(a), str(r), str(d)) for a, r, d in rows.fetchall()}

    def query(self, sql: str, params: Any = None) -> duckdb.DuckDBPyConnection:
        return self.con.execute(sql, params)


def _scratch_parent() -> Path | None:
    """``/dev/shm`` when it has room for a batch several times over (a container's is often 64 MB),
    else the system's temporary folder (None)."""
    try:
        return SHM if SHM.is_dir() and shutil.disk_usage(SHM).free >= SHM_NEEDED else None
    except OSError:
        return None


def _array(path: Path, target: Path) -> Path | str | None:
    """The records array of one trail file, written to ``target`` as it is; None for a file of
    another shape (read whole instead), or why the file cannot be read."""
    try:
        data = path.read_bytes()
        if path.name.lower().endswith(".gz"):
            data = igzip.decompress(data)  # type: ignore[no-untyped-call]
    except GZIP_ERRORS as exc:
        return f"not a complete gzip file ({str(exc)[:200] or type(exc).__name__})"
    head = HEAD.match(data[:64])
    tail = TAIL.search(data[-64:])
    if head is None or tail is None:
        return None
    end = len(data) - (len(tail.group()) - 1)  # keep the array's closing bracket
    try:
        with open(target, "wb") as out:
            out.write(memoryview(data)[head.end() : end])
    except OSError:  # the scratch folder is full: this file is read whole, the slow way
        target.unlink(missing_ok=True)
        return None
    return target


def _reason(exc: BaseException, path: Path) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    text = text.replace(f": {path}", "").replace(str(path), "the file")
    low = text.lower()
    if "gzip" in low or "compress" in low or "zlib" in low:
        return f"not a complete gzip file ({text[:200]})"
    return f"not a CloudTrail file ({text[:200]})"
