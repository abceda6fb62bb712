"""Image manifests: which formats we ask for, and the blobs (layers + config) each one stores.

A manifest is read only after its digest has been verified (``digests.py``), and read with bounds: at
most 4 MiB (ECR's limit) and 64 levels of nesting, counted on the text before ``json.loads`` so a
manifest of 200,000 ``[`` is refused instead of exhausting the recursion limit. Anything that is not a
manifest we can size raises :class:`BadAnswer`: only a real Docker schema 1 manifest falls back to the
image's DescribeImages size.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .shapes import MAX_NUMBER, BadAnswer, Doc

DOCKER_V2 = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
SCHEMA1 = (
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
)
# Asking for all four stops ECR converting an index or list to a single-platform manifest.
ACCEPTED = [DOCKER_V2, DOCKER_LIST, OCI_MANIFEST, OCI_INDEX]
INDEXES = (DOCKER_LIST, OCI_INDEX)
# Windows base layers are fetched from their `urls`, not stored in ECR.
FOREIGN = ("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",)

MAX_CHARS = 4 * 2**20  # ECR refuses manifests over 4 MiB
MAX_DEPTH = 64  # real manifests nest 5 or 6 deep
_STRINGS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)  # JSON strings, whose brackets don't nest
_BRACKETS = re.compile(r"[\[\]{}]")


@dataclass(frozen=True)
class Blob:
    digest: str
    size_bytes: int  # compressed bytes as stored
    media_type: str


@dataclass(frozen=True)
class Parsed:
    """``media_type`` of the manifest; ``blobs`` it stores (config first); ``children`` digests of an
    index; ``schema1``: the legacy format, without sizes, so the image's size comes from DescribeImages."""

    media_type: str
    blobs: tuple[Blob, ...] = ()
    children: tuple[str, ...] = ()
    schema1: bool = False


def parse(text: str, media_type: str | None = None, digest: str = "") -> Parsed:
    """Read one manifest (JSON text as BatchGetImage returns it, already verified against ``digest``).
    Raises BadAnswer when it is not a manifest we can size, or an index that lists itself."""
    return _shape(Doc(load(text), "manifest"), media_type or "", digest)


def load(text: str) -> Any:
    """``json.loads`` within ECR's size limit and ``MAX_DEPTH`` levels of nesting."""
    if len(text) > MAX_CHARS:
        raise BadAnswer(f"the manifest has {len(text):,} characters, over ECR's 4 MiB")
    depth = 0
    if text.count("[") + text.count("{") <= MAX_DEPTH:  # cannot nest deeper: most manifests
        return _json(text)
    for bracket in _BRACKETS.finditer(_STRINGS.sub('""', text)):
        depth += 1 if bracket.group() in "[{" else -1
        if depth > MAX_DEPTH:
            raise BadAnswer(f"the manifest is nested deeper than {MAX_DEPTH} levels")
    return _json(text)


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise BadAnswer(f"the manifest is not JSON ({str(exc)[:80]})") from None


def _shape(doc: Doc, media_type: str, digest: str) -> Parsed:
    kind = doc.text("mediaType") or media_type
    version = doc.value.get("schemaVersion")
    if version == 1 or kind in SCHEMA1:
        return Parsed(kind or SCHEMA1[0], schema1=True)
    if version != 2 or isinstance(version, bool):
        raise BadAnswer(f"manifest.schemaVersion is {version!r:.20}, not 1 or 2")
    if kind in INDEXES or "manifests" in doc.value:
        children = tuple(m.need_digest("digest") for m in doc.docs("manifests"))
        if digest and digest in children:
            raise BadAnswer("the index lists itself")
        return Parsed(kind or OCI_INDEX, children=children)
    config = doc.doc("config", required=True)
    assert config is not None
    blobs = [_blob(config)]
    for layer in doc.docs("layers"):
        if layer.text("mediaType") in FOREIGN:
            continue
        blobs.append(_blob(layer))
    if sum(b.size_bytes for b in blobs) > MAX_NUMBER:
        raise BadAnswer("the manifest's blobs add up to more than 2^53 bytes")
    return Parsed(kind or OCI_MANIFEST, blobs=tuple(blobs))


def _blob(doc: Doc) -> Blob:
    size = doc.count("size", required=True)
    assert size is not None
    return Blob(doc.need_digest("digest"), size, doc.text("mediaType") or "")
