"""Synthetic ECR inventory folders for benchmarks: ``images.parquet`` and ``layers.parquet`` in the
inventory layout of docs/formats.md, shaped like a real multi-team registry.

    uv run python benchmarks/generate.py OUT_DIR --images 1000000 --seed 1

Shape (everything derives from ``--seed``; the same arguments give byte-identical tables):

* a few accounts, each with a registry in 2-3 regions; ~``images / 100`` repositories named
  ``<team>/<service>`` under ~150 team namespaces, spread unevenly over the registries;
* a Zipf-like number of images per repository (a few repositories hold tens of thousands of
  images, most hold a handful), pushed over the year before ``--end`` (repositories start and stop
  at different times);
* a handful of base stacks (OS base + runtime layers) shared by every repository built on them,
  rebuilt monthly (the OS layer quarterly), with a separate set of digests per architecture;
* per-repository dependency layers shared between consecutive builds until a dependency change
  starts a new generation; one or two unique app layers per image (~10 layers per image overall);
* a long tail of untagged images (only the newest builds and a few releases keep tags), ARCHIVED
  old images, multi-arch repositories whose builds are an image index plus 2-3 child manifests
  (``parent_digest``; the index has no layer rows), and a few Docker schema 1 images without
  layer rows;
* digests are ``sha256:`` + 64 hex: a 256-bit keyed hash of a structured id, so a shared layer has
  the same digest (and size) wherever it appears.

Vectorized with numpy; layers are generated and written in chunks of image rows (one Parquet row
group each), so the layer rows never sit in memory at once (1M images / 10M layer rows: ~10 s, ~1 GB
peak RSS, most of it per-image arrays). Parquet files are
zstd-compressed with dictionary encoding for the repeated text columns (account, region, repository,
status, media type, tags) and plain pages for the random digests; layers are written by a background
thread while the next chunk is generated.
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

REGIONS = ["us-east-1", "eu-west-1", "us-west-2"]
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+prettyjws"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MEDIA_TYPES = [DOCKER_MANIFEST, DOCKER_LIST, DOCKER_SCHEMA1, OCI_MANIFEST, OCI_INDEX]

TEAMS = [
    "payments",
    "checkout",
    "search",
    "identity",
    "platform",
    "data",
    "ml",
    "mobile-api",
    "web",
    "growth",
    "billing",
    "ledger",
    "risk",
    "fraud",
    "catalog",
    "pricing",
    "inventory",
    "shipping",
    "notifications",
    "messaging",
    "media",
    "video",
    "analytics",
    "infra",
    "sre",
    "security",
    "compliance",
    "support",
    "crm",
    "marketing",
    "ads",
    "recommendations",
    "maps",
    "routing",
    "partners",
    "integrations",
    "edge",
    "gateway",
    "auth",
    "devex",
]
SERVICES = [
    "api",
    "worker",
    "web",
    "frontend",
    "backend",
    "gateway",
    "scheduler",
    "consumer",
    "producer",
    "indexer",
    "sync",
    "etl",
    "batch",
    "cron",
    "proxy",
    "auth",
    "admin",
    "reports",
    "export",
    "import",
    "ingest",
    "stream",
    "model-server",
    "trainer",
    "feature-store",
    "cache-warmer",
    "migrator",
    "notifier",
    "webhooks",
    "graphql",
    "grpc",
    "router",
    "validator",
    "renderer",
    "resizer",
    "transcoder",
    "crawler",
    "ranker",
]
# Base stacks: (name, layers in the stack, share of repositories built on it).
STACKS = [
    ("python", 6, 0.30),
    ("node", 5, 0.20),
    ("java", 7, 0.14),
    ("go-distroless", 2, 0.10),
    ("alpine", 1, 0.06),
    ("ubuntu", 3, 0.08),
    ("dotnet", 6, 0.06),
    ("nginx", 7, 0.06),
]
_STACK_LAYERS = np.array([n for _, n, _ in STACKS])
MAX_STACK_LAYERS = 8
MAX_DEP_LAYERS = 8
MAX_APP_LAYERS = 2
MB = 2**20
DAY = 86_400
KIND_IMAGE, KIND_STACK, KIND_DEP, KIND_APP, KIND_SHA = 1, 2, 3, 4, 5

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_HEX_PAIRS = (
    np.stack([_HEX[np.arange(256) >> 4], _HEX[np.arange(256) & 15]], axis=1).copy().view(np.uint16)[:, 0]
)


# ---------------------------------------------------------------------------------------------------------
# Keyed hashing: deterministic digests and sizes from structured ids, without lookup tables.


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finalizer: a bijection on uint64 (wrapping arithmetic)."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


class Hasher:
    """256-bit digests and uniform variates keyed by (seed, kind, value). Distinct ids always give
    distinct digests: the first 64-bit word is a bijection of the id."""

    def __init__(self, seed: int) -> None:
        self.salt = _mix(np.array([seed * 0x2545F4914F6CDD1D + 0x1234567], dtype=np.uint64))[0]

    def _words(self, kind: int, value: np.ndarray, lanes: range) -> np.ndarray:
        ident = (np.uint64(kind) << np.uint64(52)) | value.astype(np.uint64)
        base = (ident << np.uint64(3)) ^ self.salt
        return np.stack([_mix(base + np.uint64(k)) for k in lanes], axis=1)

    def digest_chars(self, kind: int, value: np.ndarray, prefix: bytes = b"sha256:") -> np.ndarray:
        """``sha256:<64 hex>`` as an (n, 71) uint8 matrix (one string per row)."""
        n = len(value)
        raw = self._words(kind, value, range(4)).view(np.uint8).reshape(n, 32)
        chars = np.empty((n, len(prefix) + 64), dtype=np.uint8)
        chars[:, : len(prefix)] = np.frombuffer(prefix, dtype=np.uint8)
        chars[:, len(prefix) :] = _HEX_PAIRS[raw].view(np.uint8).reshape(n, 64)
        return chars

    def digests(self, kind: int, value: np.ndarray, prefix: bytes = b"sha256:") -> pa.Array:
        return _strings(self.digest_chars(kind, value, prefix))

    def uniform(self, kind: int, value: np.ndarray, lane: int) -> np.ndarray:
        """Uniform variates in (0, 1), one per id (lanes 4-7 are free of the digest lanes)."""
        word = self._words(kind, value, range(lane, lane + 1))[:, 0]
        return ((word >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53

    def lognormal(self, kind: int, value: np.ndarray, median: float, sigma: float) -> np.ndarray:
        u1, u2 = self.uniform(kind, value, 4), self.uniform(kind, value, 5)
        z = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)  # Box-Muller
        return median * np.exp(sigma * z)


def _strings(chars: np.ndarray) -> pa.Array:
    """An Arrow string array over the rows of a fixed-width uint8 matrix, without copying."""
    n, width = chars.shape
    chars = np.ascontiguousarray(chars)
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32 if (n + 1) * width < 2**31 else np.int64)
    typ = pa.string() if offsets.dtype == np.int32 else pa.large_string()
    array = pa.Array.from_buffers(typ, n, [None, pa.py_buffer(offsets), pa.py_buffer(chars)])
    return array if typ == pa.string() else array.cast(pa.string())


# ---------------------------------------------------------------------------------------------------------
# Registry layout: accounts, regions, repositories.


@dataclass
class Repos:
    names: pa.Array  # repository name, one per repository (str)
    account: np.ndarray  # index into accounts
    region: np.ndarray  # index into REGIONS
    accounts: list[str]
    images: np.ndarray  # image rows per repository
    start: np.ndarray  # first push (epoch s)
    stop: np.ndarray  # last push (epoch s)
    stack: np.ndarray  # base stack index
    deps: np.ndarray  # dependency layers per build
    dep_change: np.ndarray  # probability that a build starts a new dependency generation
    arch_children: np.ndarray  # 0 = single-arch, 2 or 3 = multi-arch builds with that many children
    oci: np.ndarray  # bool: OCI media types (else Docker v2)
    release_tags: np.ndarray  # bool: semver tags (else branch-sha tags)


def _repositories(rng: np.random.Generator, n_images: int, n_repos: int, n_accounts: int, end: int) -> Repos:
    accounts = sorted({str(v) for v in rng.integers(10**11, 10**12, size=n_accounts * 2)})[:n_accounts]
    # Registries: every account has 2 or 3 regions; the first listed is its main one.
    registries: list[tuple[int, int, float]] = []
    for a in range(n_accounts):
        k = 2 + int(rng.random() < 0.5)
        regions = rng.permutation(len(REGIONS))[:k]
        for j, r in enumerate(regions):
            registries.append((a, int(r), (1.0 if j == 0 else 0.25) * (1.0 / (a + 1)) ** 0.5))
    weights = np.array([w for _, _, w in registries])
    which = rng.choice(len(registries), size=n_repos, p=weights / weights.sum())
    account = np.array([registries[i][0] for i in range(len(registries))])[which]
    region = np.array([registries[i][1] for i in range(len(registries))])[which]

    # Names: <team>/<service>[-<n>], unique within each registry. ~150 team namespaces.
    n_teams = max(1, min(150, n_repos // 20 or 1))
    team_names = [
        TEAMS[i % len(TEAMS)] + ("" if i < len(TEAMS) else f"-{i // len(TEAMS) + 1}") for i in range(n_teams)
    ]
    team_w = 1.0 / np.arange(1, n_teams + 1) ** 0.7
    team = rng.choice(n_teams, size=n_repos, p=team_w / team_w.sum())
    service = rng.integers(0, len(SERVICES), size=n_repos)
    seen: dict[tuple[int, str], int] = {}
    names = []
    for i in range(n_repos):
        base = f"{team_names[team[i]]}/{SERVICES[service[i]]}"
        count = seen.get((which[i], base), 0)
        seen[(which[i], base)] = count + 1
        names.append(base if count == 0 else f"{base}-{count + 1}")

    # Zipf-like images per repository (rank weights 1/k^0.85, randomly ordered), at least one each.
    w = 1.0 / np.arange(1, n_repos + 1) ** 0.85
    w = rng.permutation(w)
    images = (
        1 + rng.multinomial(n_images - n_repos, w / w.sum()) if n_images > n_repos else np.ones(n_repos, int)
    )
    if n_images < n_repos:
        images = np.zeros(n_repos, dtype=np.int64)
        images[rng.choice(n_repos, size=n_images, replace=False)] = 1

    # Activity window inside the year before `end`: most repositories live all year, some started
    # later, some went quiet.
    year = 365 * DAY
    start = end - (year * np.where(rng.random(n_repos) < 0.6, 1.0, rng.random(n_repos))).astype(np.int64)
    quiet = rng.random(n_repos) < 0.15
    stop = np.where(quiet, start + ((end - start) * rng.random(n_repos)).astype(np.int64), end)
    start = np.minimum(start, end - DAY)
    stop = np.clip(stop, start + DAY, end)

    shares = np.array([s for _, _, s in STACKS])
    stack = rng.choice(len(STACKS), size=n_repos, p=shares / shares.sum())
    deps = rng.integers(1, 7, size=n_repos)  # 1..6, mean 3.5
    dep_change = rng.uniform(0.05, 0.35, size=n_repos)
    multi = rng.random(n_repos) < 0.10
    arch_children = np.where(multi, np.where(rng.random(n_repos) < 0.2, 3, 2), 0)
    oci = rng.random(n_repos) < np.where(multi, 0.7, 0.35)
    release_tags = rng.random(n_repos) < 0.4
    return Repos(
        pa.array(names, pa.string()),
        account,
        region,
        accounts,
        images.astype(np.int64),
        start,
        stop,
        stack,
        deps,
        dep_change,
        arch_children,
        oci,
        release_tags,
    )


# ---------------------------------------------------------------------------------------------------------
# Images.


@dataclass
class Images:
    repo: np.ndarray  # repository index per image row
    build: np.ndarray  # global build id (an index and its children share one)
    build_seq: np.ndarray  # build number within the repository, 0 = oldest
    builds_after: np.ndarray  # builds pushed after this one in the repository (0 = newest)
    role: np.ndarray  # 0 single-arch image, 1 child manifest, 2 index
    arch: np.ndarray  # 0 amd64, 1 arm64, 2 arm/v7
    children: np.ndarray  # children of this row's build (0 for single images)
    pushed: np.ndarray  # epoch seconds
    schema1: np.ndarray  # bool: Docker schema 1, no layer rows
    gen: np.ndarray  # global dependency generation id
    month: np.ndarray  # months since the start of the year window (base stack version)
    archived: np.ndarray  # bool
    tagged: np.ndarray  # bool


def _images(rng: np.random.Generator, repos: Repos, end: int) -> Images:
    n_repo = len(repos.images)
    counts = repos.images
    repo = np.repeat(np.arange(n_repo), counts)
    first = np.cumsum(counts) - counts
    seq = np.arange(len(repo)) - np.repeat(first, counts)  # row number within the repository

    # Multi-arch repositories group rows into builds of (children..., index); the first
    # (rows mod group) rows are single-arch builds from before the repository went multi-arch.
    children = repos.arch_children[repo]
    group = children + 1
    lead = (counts % (repos.arch_children + 1))[repo]
    multi = (children > 0) & (seq >= lead)
    q = np.where(multi, seq - lead, 0)
    pos = q % group
    build_seq = np.where(multi, lead + q // group, seq)
    role = np.where(multi, np.where(pos == children, 2, 1), 0)
    arch = np.where(role == 1, pos, 0)
    children = np.where(multi, children, 0)

    builds = np.zeros(n_repo, dtype=np.int64)
    np.maximum.at(builds, repo, build_seq + 1)
    build_first = np.cumsum(builds) - builds
    build = build_first[repo] + build_seq
    n_builds = int(builds.sum())
    build_repo = np.repeat(np.arange(n_repo), builds)
    build_seq_b = np.arange(n_builds) - np.repeat(build_first, builds)

    # Push times: uniform over each repository's active window, sorted within the repository (the
    # key packs the repository above 30 bits of seconds, so one sort keeps repositories together).
    span = (repos.stop - repos.start)[build_repo] - 4  # children and index follow within 3 s
    offset = (rng.random(n_builds) * span).astype(np.int64)
    t_build = np.sort((build_repo.astype(np.int64) << 30) + offset) - (build_repo.astype(np.int64) << 30)
    t_build = t_build + repos.start[build_repo]
    # Children are pushed a second apart, then the index.
    pushed = t_build[build] + np.where(role == 0, 0, pos + 1)

    # Dependency generations: the first build of a repository always starts one.
    new_gen = (build_seq_b == 0) | (rng.random(n_builds) < repos.dep_change[build_repo])
    gen_b = np.cumsum(new_gen) - 1
    year_start = end - 365 * DAY
    month = np.clip((pushed - year_start) // (30 * DAY), 0, 12)

    builds_after = (builds[repo] - 1) - build_seq
    age_days = (end - pushed) / DAY
    # Tags: the newest 3 builds, and ~15% of older ones (releases); children never carry tags.
    tagged_b = (builds[build_repo] - 1 - build_seq_b < 3) | (rng.random(n_builds) < 0.15)
    tagged = tagged_b[build] & (role != 1)
    # Archived: old builds nobody kept a tag on, by a lifecycle "archive after 90 days" rule in
    # about a third of the repositories.
    archives = rng.random(n_repo) < 0.35
    old_b = ((end - t_build) / DAY > 90) & ~tagged_b & archives[build_repo]
    archived = old_b[build]
    schema1 = (role == 0) & (age_days > 250) & (rng.random(len(repo)) < 0.002)
    return Images(
        repo,
        build,
        build_seq,
        builds_after,
        role,
        arch,
        children,
        pushed,
        schema1,
        gen_b[build],
        month,
        archived,
        tagged,
    )


def _image_table(
    h: Hasher,
    repos: Repos,
    im: Images,
    sizes: np.ndarray,
    digests: pa.Array,
    end: int,
    rng: np.random.Generator,
) -> pa.Table:
    n = len(im.repo)
    rows = np.arange(n)
    # An index's size is its largest child's (what DescribeImages reports for the sample indexes).
    size = sizes.copy()
    is_index = im.role == 2
    for back in (1, 2, 3):
        ok = is_index & (im.children >= back)
        size[ok] = np.maximum(size[ok], sizes[rows[ok] - back])
    size[im.schema1] = (h.lognormal(KIND_IMAGE, rows[im.schema1], 80 * MB, 0.6)).astype(np.int64)

    # Parent digest: children point at the index pushed right after them.
    parent_row = np.where(im.role == 1, rows + im.children - im.arch, 0)
    parent = pc.if_else(
        pa.array(im.role == 1), digests.take(pa.array(parent_row)), pa.scalar(None, pa.string())
    )

    media = np.where(repos.oci[im.repo], 3, 0)
    media = np.where(im.role == 2, media + 1, media)
    media = np.where(im.schema1, 2, media)
    media_type = pa.DictionaryArray.from_arrays(pa.array(media.astype(np.int32)), pa.array(MEDIA_TYPES))

    status = pa.DictionaryArray.from_arrays(
        pa.array(im.archived.astype(np.int32)), pa.array(["ACTIVE", "ARCHIVED"])
    )

    # Tags: "1.<minor>.<patch>" in release repositories, "main-<sha7>" elsewhere; the newest build
    # also carries "latest".
    release = repos.release_tags[im.repo]
    version = pc.binary_join_element_wise(
        pa.scalar("1"),
        pa.array(im.build_seq // 20).cast(pa.string()),
        pa.array(im.build_seq % 20).cast(pa.string()),
        ".",
    )
    sha7 = pc.utf8_slice_codeunits(h.digests(KIND_SHA, im.build.astype(np.uint64), prefix=b"main-"), 0, 12)
    tag = pc.if_else(pa.array(release), version, sha7)
    tag = pc.if_else(
        pa.array(im.builds_after == 0), pc.binary_join_element_wise(tag, pa.scalar("latest"), " "), tag
    )
    tags = pc.if_else(pa.array(im.tagged), tag, pa.scalar(None, pa.string()))

    # Last pull: recent for tagged images, occasional for the untagged tail, never once archived.
    pulled_p = np.where(im.tagged, 0.9, 0.2)
    pulled = (rng.random(n) < pulled_p) & ~im.archived & (im.role != 1)
    pulled_at = np.where(
        im.tagged,
        end - (rng.random(n) * 30 * DAY).astype(np.int64),
        im.pushed + (rng.random(n) * (end - im.pushed)).astype(np.int64),
    )
    pulled_at = np.maximum(pulled_at, im.pushed)

    def ts(seconds: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
        mask = None if valid is None else ~valid
        return pa.array(seconds * 1_000_000, pa.int64(), mask=mask).cast(pa.timestamp("us", tz="UTC"))

    return pa.table(
        {
            "account_id": pa.array(repos.accounts).take(pa.array(repos.account[im.repo])),
            "region": pa.array(REGIONS).take(pa.array(repos.region[im.repo])),
            "repository": repos.names.take(pa.array(im.repo)),
            "image_digest": digests,
            "size_bytes": pa.array(size, pa.int64()),
            "pushed_at": ts(im.pushed),
            "image_tags": tags,
            "image_status": status.cast(pa.string()),
            "manifest_media_type": media_type.cast(pa.string()),
            "parent_digest": parent,
            "last_pulled_at": ts(pulled_at, pulled),
        }
    )


# ---------------------------------------------------------------------------------------------------------
# Layers.


def _layer_chunk(
    h: Hasher, repos: Repos, im: Images, lo: int, hi: int, image_chars: np.ndarray, app_layers: np.ndarray
) -> tuple[pa.Table, np.ndarray]:
    """Layer rows of image rows [lo, hi), and the byte total of each of those images."""
    idx = np.arange(lo, hi)
    repo = im.repo[idx]
    stack = repos.stack[repo]
    n_stack = _STACK_LAYERS[stack]
    n_dep = repos.deps[repo]
    count = np.where((im.role[idx] == 2) | im.schema1[idx], 0, n_stack + n_dep + app_layers[idx])
    img = np.repeat(idx, count)
    pos = np.arange(len(img)) - np.repeat(np.cumsum(count) - count, count)
    ns, nd = np.repeat(n_stack, count), np.repeat(n_dep, count)
    arch = im.arch[img].astype(np.uint64)

    # Structured ids (one digest and one size per id): stack layers, then dependencies, then app.
    in_stack, in_dep = pos < ns, (pos >= ns) & (pos < ns + nd)
    slot = np.where(in_stack, pos, np.where(in_dep, pos - ns, pos - ns - nd)).astype(np.uint64)
    kind = np.where(in_stack, KIND_STACK, np.where(in_dep, KIND_DEP, KIND_APP))
    chars = np.empty((len(img), 71), dtype=np.uint8)
    size = np.empty(len(img), dtype=np.int64)
    for k, median, sigma in ((KIND_STACK, 25 * MB, 1.0), (KIND_DEP, 18 * MB, 1.2), (KIND_APP, 4 * MB, 1.4)):
        sel = np.flatnonzero(kind == k)
        i, sl, ar = img[sel], slot[sel], arch[sel]
        if k == KIND_STACK:
            # The OS layer (slot 0) is rebuilt quarterly, the runtime layers monthly.
            version = np.where(sl == 0, im.month[i] // 3, im.month[i]).astype(np.uint64)
            ids = (
                (repos.stack[im.repo[i]].astype(np.uint64) * 64 + version) * 4 + ar
            ) * MAX_STACK_LAYERS + sl
        elif k == KIND_DEP:
            ids = (im.gen[i].astype(np.uint64) * 4 + ar) * MAX_DEP_LAYERS + sl
        else:
            ids = i.astype(np.uint64) * MAX_APP_LAYERS + sl
        if k == KIND_APP:  # unique per image: hash them all
            uniq, inverse = ids, slice(None)
        else:  # shared: hash each distinct id once
            uniq, inverse = np.unique(ids, return_inverse=True)
        chars[sel] = h.digest_chars(k, uniq)[inverse]
        size[sel] = np.clip(h.lognormal(k, uniq, median, sigma), 512, 4 * 2**30).astype(np.int64)[inverse]

    totals = np.bincount(img - lo, weights=size, minlength=hi - lo).round().astype(np.int64)
    repo_rows = pa.array(im.repo[img])
    table = pa.table(
        {
            "account_id": pa.array(repos.accounts).take(pa.array(repos.account[im.repo[img]])),
            "region": pa.array(REGIONS).take(pa.array(repos.region[im.repo[img]])),
            "repository": repos.names.take(repo_rows),
            "image_digest": _strings(image_chars[img]),
            "layer_digest": _strings(chars),
            "size_bytes": pa.array(size, pa.int64()),
        }
    )
    return table, totals


# ---------------------------------------------------------------------------------------------------------


def _parquet_options(schema: pa.Schema) -> dict:
    """zstd; dictionary pages for the low-cardinality text columns; no min/max statistics on digests
    (random hashes: the statistics would cost time and never prune anything)."""
    digests = {"image_digest", "layer_digest", "parent_digest"}
    return {
        "compression": "zstd",
        "use_dictionary": [n for n in schema.names if n not in digests],
        "write_statistics": [n for n in schema.names if n not in digests],
    }


def generate(
    out_dir: str | Path,
    images: int = 1_000_000,
    seed: int = 1,
    repos: int | None = None,
    accounts: int = 4,
    end: str = "2026-12-01",
    chunk_images: int = 100_000,
    verbose: bool = False,
) -> dict:
    """Write ``images.parquet`` and ``layers.parquet`` into ``out_dir``; return a summary dict."""
    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    end_s = int(datetime.fromisoformat(end).replace(tzinfo=UTC).timestamp())
    rng = np.random.default_rng(seed)
    h = Hasher(seed)
    n_repos = repos or max(1, round(images / 100))
    reg = _repositories(rng, images, n_repos, accounts, end_s)
    im = _images(rng, reg, end_s)
    image_chars = h.digest_chars(KIND_IMAGE, np.arange(len(im.repo), dtype=np.uint64))
    digests = _strings(image_chars)
    app_layers = 1 + (rng.random(len(im.repo)) < 0.5).astype(np.int64)

    layer_rows = 0
    sizes = np.zeros(len(im.repo), dtype=np.int64)
    tmp_layers = out / "layers.parquet.tmp"
    writer = None
    pending: Future | None = None
    # One writer thread: Parquet encoding of chunk k overlaps the generation of chunk k + 1 (both
    # release the GIL), with at most one chunk waiting.
    with ThreadPoolExecutor(max_workers=1) as pool:
        try:
            for lo in range(0, len(im.repo), chunk_images):
                hi = min(lo + chunk_images, len(im.repo))
                table, totals = _layer_chunk(h, reg, im, lo, hi, image_chars, app_layers)
                sizes[lo:hi] = totals
                layer_rows += len(table)
                if writer is None:
                    writer = pq.ParquetWriter(tmp_layers, table.schema, **_parquet_options(table.schema))
                if pending is not None:
                    pending.result()
                pending = pool.submit(writer.write_table, table, row_group_size=max(1, len(table)))
            if pending is not None:
                pending.result()
        finally:
            if writer is not None:
                writer.close()
    del image_chars
    image_table = _image_table(h, reg, im, sizes, digests, end_s, rng)
    tmp_images = out / "images.parquet.tmp"
    pq.write_table(image_table, tmp_images, row_group_size=256 * 1024, **_parquet_options(image_table.schema))
    tmp_images.replace(out / "images.parquet")
    tmp_layers.replace(out / "layers.parquet")

    summary = {
        "images": len(im.repo),
        "layer_rows": layer_rows,
        "repositories": n_repos,
        "accounts": accounts,
        "registries": len(np.unique(reg.account * 10 + reg.region)),
        "regions": sorted({REGIONS[r] for r in np.unique(reg.region)}),
        "max_images_per_repository": int(reg.images.max()),
        "median_images_per_repository": float(np.median(reg.images)),
        "index_images": int((im.role == 2).sum()),
        "child_images": int((im.role == 1).sum()),
        "untagged_images": int((~im.tagged).sum()),
        "archived_images": int(im.archived.sum()),
        "schema1_images": int(im.schema1.sum()),
        "seed": seed,
        "end": end,
        "images_parquet_bytes": (out / "images.parquet").stat().st_size,
        "layers_parquet_bytes": (out / "layers.parquet").stat().st_size,
        "seconds": round(time.perf_counter() - t0, 2),
    }
    (out / "generator.json").write_text(json.dumps(summary, indent=2) + "\n")
    if verbose:
        print(json.dumps(summary, indent=2))
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out_dir", type=Path, help="folder to write images.parquet and layers.parquet into")
    parser.add_argument("--images", type=int, default=1_000_000, help="image rows (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repos", type=int, default=None, help="repositories (default images / 100)")
    parser.add_argument("--accounts", type=int, default=4)
    parser.add_argument(
        "--end",
        default="2026-12-01",
        help="pushes fall in the year before this UTC date (default 2026-12-01)",
    )
    parser.add_argument(
        "--chunk-images",
        type=int,
        default=100_000,
        help="image rows per layers row group (default 100,000 ≈ 1M layer rows)",
    )
    args = parser.parse_args()
    generate(
        args.out_dir,
        args.images,
        args.seed,
        args.repos,
        args.accounts,
        args.end,
        args.chunk_images,
        verbose=True,
    )


if __name__ == "__main__":
    main()
