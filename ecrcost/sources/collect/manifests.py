"""Image manifests: which formats we ask for, and the blobs (layers + config) each one stores."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True)
class Blob:
    digest: str
    size_bytes: int  # compressed bytes as stored
    media_type: str


@dataclass(frozen=True)
class Parsed:
    """``media_type`` of the manifest; ``blobs`` it stores (config first); ``children`` digests of an
    index; ``schema1``: legacy format (or a manifest that cannot be read) without sizes, so the image's
    size comes from DescribeImages only."""

    media_type: str
    blobs: tuple[Blob, ...] = ()
    children: tuple[str, ...] = ()
    schema1: bool = False


def parse(text: str, media_type: str | None = None) -> Parsed:
    """Read one manifest (JSON text as BatchGetImage returns it)."""
    try:
        return _parse(json.loads(text), media_type)
    except (ValueError, KeyError, TypeError, AttributeError):
        return Parsed(media_type or "", schema1=True)


def _parse(doc: dict[str, Any], media_type: str | None) -> Parsed:
    kind = doc.get("mediaType") or media_type or ""
    if doc.get("schemaVersion") == 1 or kind in SCHEMA1:
        return Parsed(kind or SCHEMA1[0], schema1=True)
    if "manifests" in doc:
        return Parsed(kind or OCI_INDEX, children=tuple(m["digest"] for m in doc["manifests"]))
    blobs = []
    config = doc.get("config")
    if config and config.get("digest"):
        blobs.append(Blob(config["digest"], int(config.get("size", 0)), config.get("mediaType", "")))
    for layer in doc.get("layers", []):
        if layer.get("mediaType") in FOREIGN:
            continue
        blobs.append(Blob(layer["digest"], int(layer["size"]), layer.get("mediaType", "")))
    return Parsed(kind or OCI_MANIFEST, blobs=tuple(blobs))
