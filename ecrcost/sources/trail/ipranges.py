"""AWS's published address ranges (``ip-ranges.json``: ``syncToken``, ``createDate``, ``prefixes[]``
with ``ip_prefix`` and ``region``, ``ipv6_prefixes[]`` with ``ipv6_prefix``) and the region each source
address of the trail falls in. Addresses are classified once per distinct address, by a range join in
DuckDB over integer bounds (the longest matching prefix wins), never per event."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from ...core import jsondoc
from ...core.errors import InputError

CACHE_NAME = "ip-ranges.json"


@dataclass(frozen=True)
class Ranges:
    """The prefixes as integer intervals: ``table`` has lo, hi (as text of 128-bit integers: IPv4
    addresses are mapped into IPv6's ``::ffff:0:0/96``), bits (prefix length) and region."""

    path: Path
    sync_token: str
    create_date: str
    table: pa.Table

    def about(self) -> dict[str, str]:
        return {"file": str(self.path), "syncToken": self.sync_token, "createDate": self.create_date}


def default_path() -> Path:
    """Where a copy of ``ip-ranges.json`` is looked for when ``--ip-ranges`` is not given: the user
    cache folder (``$XDG_CACHE_HOME/ecrcost/ip-ranges.json``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ecrcost" / CACHE_NAME


def load(path: Path | None) -> Ranges:
    """Read and check ``ip-ranges.json`` (``path``, else the cached copy)."""
    if path is None:
        path = default_path()
        if not path.is_file():
            raise InputError(
                "no ip-ranges.json given and no cached copy: download "
                "https://ip-ranges.amazonaws.com/ip-ranges.json and pass it with --ip-ranges FILE "
                f"(or put it at {path})",
                field="ip_ranges",
            )
    doc = jsondoc.read(path, "AWS's ip-ranges.json")
    if not isinstance(doc, dict) or not isinstance(doc.get("prefixes"), list):
        raise InputError("not AWS's ip-ranges.json: no 'prefixes' list", file=path)
    lo: list[str] = []
    hi: list[str] = []
    bits: list[int] = []
    regions: list[str] = []
    for key, field in (("prefixes", "ip_prefix"), ("ipv6_prefixes", "ipv6_prefix")):
        items = doc.get(key, [])
        if not isinstance(items, list):
            raise InputError(f"{key}: must be a JSON list", file=path)
        for i, item in enumerate(items):  # thousands of prefixes, read once
            net = _network(item, field, f"{key}[{i}]", path)
            first, last = _bounds(net)
            lo.append(str(first))
            hi.append(str(last))
            bits.append(net.prefixlen + (96 if net.version == 4 else 0))
            regions.append(item["region"])
    table = pa.table({"lo": lo, "hi": hi, "bits": pa.array(bits, pa.int32()), "region": regions})
    return Ranges(path, str(doc.get("syncToken", "")), str(doc.get("createDate", "")), table)


def _network(item: Any, field: str, where: str, path: Path) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    if (
        not isinstance(item, dict)
        or not isinstance(item.get(field), str)
        or not isinstance(item.get("region"), str)
    ):
        raise InputError(f"{where}: needs text '{field}' and 'region'", file=path)
    try:
        return ipaddress.ip_network(item[field], strict=False)
    except ValueError:
        raise InputError(f"{where}.{field}: '{item[field]}' is not an address prefix", file=path) from None


def _bounds(net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> tuple[int, int]:
    first, last = int(net.network_address), int(net.broadcast_address)
    if net.version == 4:
        return first + V4_BASE, last + V4_BASE
    return first, last


V4_BASE = 0xFFFF << 32  # ::ffff:0:0/96, where IPv4 addresses sit in IPv6 space


def address_table(addresses: list[str]) -> pa.Table:
    """The distinct source addresses of the trail as 128-bit integers (text); a value that is no
    address (``ecr.amazonaws.com``, ``AWS Internal``) gets none."""
    values: list[str | None] = []
    for text in addresses:  # distinct addresses only: not one per event
        try:
            ip = ipaddress.ip_address(text)
        except ValueError:
            values.append(None)
            continue
        values.append(str(int(ip) + V4_BASE if ip.version == 4 else int(ip)))
    return pa.table({"source_ip": addresses, "value": pa.array(values, pa.string())})
