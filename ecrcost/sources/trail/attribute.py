"""From the aggregated events to bytes and destinations: each layer download is sized from the
inventory's ``layers`` (registry, repository, digest), each source address is placed by AWS's ranges,
and the result is summed per repository and destination (the ``transfer`` table) and per image (the
``pulls`` table). All of it in DuckDB over the aggregates, never per event.

Destination classes (docs/pulls.md): ``same_region`` — through a VPC endpoint, or from an address of
the registry's own region; ``cross_region`` — from an address of another region (priced at that pair's
rate); ``aws_service`` — an AWS service calling for itself (``sourceIPAddress`` such as
``ecr.amazonaws.com``: pull-through cache, replication); ``internet`` — anything else. Addresses in
AWS's ranges whose region the price book does not price (``GLOBAL``, say) count as internet and as
*unclassified*."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

from ...core.units import GB as GB_BYTES
from ..collect.writer import TRANSFER
from ..inventory import PULLS_COUNTS
from .events import Trail
from .ipranges import Ranges, address_table

CLASSES = ("same_region", "cross_region", "internet", "aws_service")
GB = Decimal(GB_BYTES)


@dataclass(frozen=True)
class Attributed:
    transfer: pd.DataFrame  # transfer rows (GB as exact decimal text), basis cloudtrail
    pulls: pd.DataFrame  # one row per image (image_digest "" = downloads no pull could be tied to)
    by_class: dict[str, int]  # bytes per destination class, the whole trail
    unknown_layer_events: int
    unknown_layers: list[dict[str, Any]]  # a few, for the message
    unclassified_bytes: int
    nat_gateway_bytes: int
    download_events: int
    pull_events: int


def attribute(
    trail: Trail,
    images: pd.DataFrame,
    layers: pd.DataFrame,
    ranges: Ranges,
    priced: set[str],
    nat: list[str] | None = None,
) -> Attributed:
    """``nat``: the public addresses of NAT gateways (``--nat-gateways``); downloads from them also
    count as NAT processing."""
    con = trail.con
    sizes = layers[["account_id", "region", "repository", "layer_digest", "size_bytes"]]
    tags = images[["account_id", "region", "repository", "image_digest", "image_tags"]]
    con.register("inv_layers", sizes)
    con.register("inv_images", tags)
    con.register("ranges_raw", ranges.table)
    con.register("priced", pd.DataFrame({"region": sorted(priced)}))
    con.register("nat", pd.DataFrame({"source_ip": pd.Series(nat or [], dtype=object)}))
    con.execute(
        """CREATE OR REPLACE TEMP TABLE layer_size AS
        SELECT account_id, region, repository, layer_digest, max(size_bytes)::BIGINT AS size_bytes
        FROM inv_layers GROUP BY ALL;
        CREATE OR REPLACE TEMP TABLE tag_digest AS
        SELECT account_id, region, repository, tag, min(image_digest) AS image_digest
        FROM (SELECT *, unnest(string_split(image_tags, ' ')) AS tag FROM inv_images)
        WHERE tag <> '' GROUP BY ALL;
        CREATE OR REPLACE TEMP TABLE ranges AS
        SELECT lo::UHUGEINT AS lo, hi::UHUGEINT AS hi, bits, region FROM ranges_raw"""
    )
    addresses = [
        str(r[0])
        for r in con.execute(
            "SELECT DISTINCT source_ip FROM downloads UNION SELECT DISTINCT source_ip FROM manifests"
        ).fetchall()
    ]
    con.register("addr_raw", address_table(addresses))
    con.execute(
        """CREATE OR REPLACE TEMP TABLE addr AS
        SELECT a.source_ip, a.value IS NOT NULL AS is_address, arg_max(r.region, r.bits) AS ip_region
        FROM (SELECT source_ip, value::UHUGEINT AS value FROM addr_raw) a
        LEFT JOIN ranges r ON a.value BETWEEN r.lo AND r.hi
        GROUP BY a.source_ip, a.value"""
    )
    # The downloads sized and classed, summed per image and destination: the addresses and layers
    # drop out (at 10M events the aggregates hold ~9M rows; this table, a few per image).
    classed = """SELECT d.*, l.size_bytes IS NULL AS unknown_layer,
            coalesce(l.size_bytes, 0) * d.events AS bytes,
            d.source_ip IN (SELECT source_ip FROM nat) AS nat,
            CASE
                WHEN d.endpoint THEN 'same_region'
                WHEN NOT a.is_address AND (d.source_ip LIKE '%.amazonaws.com' OR d.source_ip = 'AWS Internal')
                    THEN 'aws_service'
                WHEN a.ip_region = d.region THEN 'same_region'
                WHEN a.ip_region IN (SELECT region FROM priced) THEN 'cross_region'
                ELSE 'internet' END AS class,
            CASE WHEN NOT d.endpoint AND a.ip_region IS NOT NULL AND a.ip_region <> d.region
                AND a.ip_region IN (SELECT region FROM priced) THEN a.ip_region ELSE ''
                END AS destination_region,
            NOT d.endpoint AND ((a.ip_region IS NOT NULL AND a.ip_region <> d.region
                AND a.ip_region NOT IN (SELECT region FROM priced))
                OR (NOT a.is_address
                    AND NOT (d.source_ip LIKE '%.amazonaws.com' OR d.source_ip = 'AWS Internal')))
                AS unclassified
        FROM downloads d
        JOIN addr a USING (source_ip)
        LEFT JOIN layer_size l ON l.region = d.region AND l.repository = d.repository
            AND l.layer_digest = d.layer_digest AND (l.account_id = d.account_id OR l.account_id = '')"""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE sized AS
        SELECT c.account_id, c.region, c.repository,
            coalesce(CASE WHEN c.image_digest LIKE 'tag:%' THEN t.image_digest
                ELSE nullif(c.image_digest, '') END, '') AS digest,
            c.class, c.destination_region, c.unknown_layer, c.unclassified, c.nat,
            sum(c.events)::BIGINT AS events, sum(c.bytes)::BIGINT AS bytes,
            min(c.first_at) AS first_at, max(c.last_at) AS last_at
        FROM ({classed}) c
        LEFT JOIN tag_digest t ON c.image_digest LIKE 'tag:%' AND t.region = c.region
            AND t.repository = c.repository AND t.tag = substr(c.image_digest, 5)
            AND (t.account_id = c.account_id OR t.account_id = '')
        GROUP BY ALL"""
    )
    few = con.execute(
        """SELECT d.account_id, d.region, d.repository, d.layer_digest, sum(d.events)::BIGINT AS events
        FROM downloads d ANTI JOIN layer_size l ON l.region = d.region AND l.repository = d.repository
            AND l.layer_digest = d.layer_digest AND (l.account_id = d.account_id OR l.account_id = '')
        GROUP BY ALL ORDER BY events DESC, repository, layer_digest LIMIT 20"""
    ).df()
    con.execute(
        """CREATE OR REPLACE TEMP TABLE pulled AS
        SELECT m.account_id, m.region, m.repository,
            coalesce(nullif(m.image_digest, ''), t.image_digest, '') AS digest,
            m.events, m.first_at, m.last_at
        FROM manifests m
        LEFT JOIN tag_digest t ON m.image_digest = '' AND t.region = m.region
            AND t.repository = m.repository AND t.tag = m.image_tag
            AND (t.account_id = m.account_id OR t.account_id = '')"""
    )
    transfer = _transfer(con)
    pulls = _pulls(con)
    by_class = dict.fromkeys(CLASSES, 0)
    for cls, n in con.execute("SELECT class, sum(bytes)::BIGINT FROM sized GROUP BY class").fetchall():
        by_class[str(cls)] = int(n)
    unknown = con.execute("SELECT coalesce(sum(events), 0)::BIGINT FROM sized WHERE unknown_layer").fetchone()
    (unclassified,) = con.execute(
        "SELECT coalesce(sum(bytes), 0)::BIGINT FROM sized WHERE unclassified"
    ).fetchone() or (0,)
    (nat_bytes,) = con.execute("SELECT coalesce(sum(bytes), 0)::BIGINT FROM sized WHERE nat").fetchone() or (
        0,
    )
    (downloads,) = con.execute("SELECT coalesce(sum(events), 0)::BIGINT FROM downloads").fetchone() or (0,)
    (manifests,) = con.execute("SELECT coalesce(sum(events), 0)::BIGINT FROM manifests").fetchone() or (0,)
    return Attributed(
        transfer=transfer,
        pulls=pulls,
        by_class=by_class,
        unknown_layer_events=int(unknown[0]) if unknown else 0,
        unknown_layers=[{str(k): v for k, v in r.items()} for r in few.to_dict("records")],
        unclassified_bytes=int(unclassified),
        nat_gateway_bytes=int(nat_bytes),
        download_events=int(downloads),
        pull_events=int(manifests),
    )


def gb_text(n: int) -> str:
    """Bytes as GB (2^30 bytes), exactly: a power of two divides into a finite decimal."""
    value = Decimal(n) / GB
    return format(value.normalize(), "f") if value else "0"


def _transfer(con: Any) -> pd.DataFrame:
    """Per registry and repository, one row for the region (internet, same region; AWS services'
    bytes are in the same-region column) and one per destination region."""
    rows = con.execute(
        """SELECT account_id, region, repository, destination_region,
            sum(bytes) FILTER (WHERE class = 'internet')::BIGINT,
            sum(bytes) FILTER (WHERE class = 'cross_region')::BIGINT,
            sum(bytes) FILTER (WHERE class IN ('same_region', 'aws_service'))::BIGINT,
            sum(bytes) FILTER (WHERE nat)::BIGINT
        FROM sized GROUP BY ALL ORDER BY ALL"""
    ).fetchall()
    out = []
    for (
        account,
        region,
        repo,
        dest,
        internet,
        cross,
        same,
        nat,
    ) in rows:  # one row per repository × region pair
        out.append(
            {
                "account_id": account,
                "region": region,
                "registry": "private",
                "repository": repo,
                "destination_region": dest,
                "internet_out_gb": gb_text(internet or 0),
                "cross_region_out_gb": gb_text(cross or 0),
                "same_region_out_gb": gb_text(same or 0),
                "nat_gateway_gb": gb_text(nat or 0),
                "basis": "cloudtrail",
            }
        )
    return pd.DataFrame(out, columns=TRANSFER_TABLE)


TRANSFER_TABLE = [*TRANSFER[:-1], "nat_gateway_gb", "basis"]  # collect's, with NAT processing
PULLS_TABLE = [
    "account_id",
    "region",
    "repository",
    "image_digest",
    *PULLS_COUNTS,
    "top_class",
    "first_pull_at",
    "last_pull_at",
]


def _pulls(con: Any) -> pd.DataFrame:
    frame: pd.DataFrame = con.execute(
        """WITH d AS (
            SELECT account_id, region, repository, digest, sum(events)::BIGINT AS layer_downloads,
                sum(bytes)::BIGINT AS bytes,
                coalesce(sum(bytes) FILTER (WHERE class = 'same_region'), 0)::BIGINT AS same_region_bytes,
                coalesce(sum(bytes) FILTER (WHERE class = 'cross_region'), 0)::BIGINT AS cross_region_bytes,
                coalesce(sum(bytes) FILTER (WHERE class = 'internet'), 0)::BIGINT AS internet_bytes,
                coalesce(sum(bytes) FILTER (WHERE class = 'aws_service'), 0)::BIGINT AS aws_service_bytes,
                min(first_at) AS first_at, max(last_at) AS last_at
            FROM sized GROUP BY ALL),
        p AS (SELECT account_id, region, repository, digest, sum(events)::BIGINT AS pull_count,
                min(first_at) AS first_at, max(last_at) AS last_at FROM pulled GROUP BY ALL)
        SELECT account_id, region, repository, digest AS image_digest,
            coalesce(p.pull_count, 0) AS pull_count, coalesce(d.layer_downloads, 0) AS layer_downloads,
            coalesce(d.bytes, 0) AS bytes, coalesce(same_region_bytes, 0) AS same_region_bytes,
            coalesce(cross_region_bytes, 0) AS cross_region_bytes,
            coalesce(internet_bytes, 0) AS internet_bytes,
            coalesce(aws_service_bytes, 0) AS aws_service_bytes,
            least(p.first_at, d.first_at) AS first_pull_at, greatest(p.last_at, d.last_at) AS last_pull_at
        FROM p FULL JOIN d USING (account_id, region, repository, digest)
        ORDER BY bytes DESC, pull_count DESC, account_id, region, repository, image_digest"""
    ).df()
    classes = frame[[f"{c}_bytes" for c in CLASSES]].to_numpy()
    top = pd.Series(CLASSES, dtype=object).to_numpy()[classes.argmax(axis=1)] if len(frame) else []
    frame["top_class"] = (
        [t if b else "" for t, b in zip(top, frame["bytes"], strict=True)] if len(frame) else []
    )
    for col in ("first_pull_at", "last_pull_at"):
        frame[col] = pd.to_datetime(frame[col]).dt.strftime("%Y-%m-%dT%H:%M:%SZ").fillna("")
    return frame[PULLS_TABLE]
