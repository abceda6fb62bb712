"""Transfer estimated from pull counts — an ESTIMATE, and the output says so.

GB pulled = pulls × bytes per pull / 2^30. ``full`` bytes per pull is the repository's average image
size: over its images that are not indexes, the mean of the bytes of the distinct blobs (config +
layers) each one stores — what a pull onto an empty node downloads. Images without layer rows
(schema 1) count their DescribeImages size. Pulls onto nodes that already hold the base layers move
less, so ``full`` is an upper bound; pass a number of bytes to set your own.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ...core.units import GB as GB_BYTES

GB = Decimal(GB_BYTES)


@dataclass(frozen=True)
class Assumptions:
    """``bytes_per_pull``: ``"full"`` or a byte count; shares of pulled GB leaving AWS (internet) and
    going to another region; the rest stays in the region (free)."""

    bytes_per_pull: str = "full"
    internet_share: Decimal = Decimal(0)
    cross_region_share: Decimal = Decimal(0)

    def as_dict(self) -> dict[str, str]:
        return {
            "basis": "estimate: pulls (CloudWatch RepositoryPullCount, Sum) × bytes per pull",
            "bytes_per_pull": self.bytes_per_pull,
            "bytes_per_pull_full_means": "average over a repository's non-index images of the bytes of "
            "the distinct blobs (config + layers) each stores: a pull onto an empty node",
            "internet_share": str(self.internet_share),
            "cross_region_share": str(self.cross_region_share),
            "same_region_share": str(1 - self.internet_share - self.cross_region_share),
        }


def average_image_bytes(images: list[dict[str, Any]], layers: list[dict[str, Any]]) -> int:
    """``full`` bytes per pull of one repository (see the module docstring); 0 without images."""
    blobs: dict[str, dict[str, int]] = defaultdict(dict)
    for layer in layers:
        blobs[layer["image_digest"]][layer["layer_digest"]] = int(layer["size_bytes"])
    parents = {i["parent_digest"] for i in images if i["parent_digest"]}
    sizes = [
        sum(blobs[i["image_digest"]].values()) if i["image_digest"] in blobs else int(i["size_bytes"])
        for i in images
        if i["image_digest"] not in parents and (i["image_digest"] in blobs or i["size_bytes"])
    ]
    return round(sum(sizes) / len(sizes)) if sizes else 0


def transfer_row(base: dict[str, Any], pulls: int, bytes_per_pull: int, a: Assumptions) -> dict[str, Any]:
    """One transfer line (GB as exact decimal strings) for a repository."""
    total = Decimal(pulls) * Decimal(bytes_per_pull) / GB
    internet = total * a.internet_share
    cross = total * a.cross_region_share
    return base | {
        "registry": "private",
        "destination_region": "",
        "internet_out_gb": _text(internet),
        "cross_region_out_gb": _text(cross),
        "same_region_out_gb": _text(total - internet - cross),
        "basis": "estimate",
    }


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"
