"""Checking a manifest against its digest: the hash of the exact bytes returned must be the digest we
asked for, or the bytes are not that image's manifest (a proxy's page, a cut-off body, a stale cache).

sha256 (all ECR computes) and sha512 are verified; a digest of any other algorithm cannot be, and its
manifest is never used or cached (the image keeps its DescribeImages size, with a gap beside it).
Signed Docker schema 1 manifests are hashed without their signatures (the registry's rule), so their
signed payload is tried as well.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re

ALGORITHMS = {"sha256": 64, "sha512": 128}  # verifiable: hex length of each
_DIGEST = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")  # the OCI digest grammar
_PROTECTED = re.compile(rb'"protected"\s*:\s*"([A-Za-z0-9_=-]{1,4096})"')


_KNOWN = re.compile(r"^(?:sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$")


def well_formed(digest: str) -> bool:
    """``algorithm:encoded`` as OCI defines it; sha256 and sha512 in lower-case hex of their length."""
    if _KNOWN.match(digest):
        return True
    return bool(_DIGEST.match(digest)) and digest.split(":", 1)[0] not in ALGORITHMS


def verifiable(digest: str) -> bool:
    return digest.split(":", 1)[0] in ALGORITHMS


def mismatch(digest: str, manifest: str) -> str | None:
    """None when ``manifest`` (text as BatchGetImage returns it; its UTF-8 bytes are the stored ones)
    hashes to ``digest``; else why not."""
    algorithm, _, want = digest.partition(":")
    if algorithm not in ALGORITHMS:
        return f"cannot verify a {algorithm} digest (sha256 and sha512 only)"
    try:
        raw = manifest.encode("utf-8")
    except UnicodeEncodeError:
        return "the manifest is not UTF-8 text"
    got = hashlib.new(algorithm, raw).hexdigest()
    if got == want:
        return None
    for payload in _signed_payloads(raw):
        if hashlib.new(algorithm, payload).hexdigest() == want:
            return None
    return f"the manifest does not match its digest ({algorithm} of the bytes returned is {got[:12]}…)"


def _signed_payloads(raw: bytes) -> list[bytes]:
    """Docker schema 1 JWS: each signature's protected header holds ``formatLength`` and
    ``formatTail``; the signed payload is the first ``formatLength`` bytes plus the tail."""
    if b'"signatures"' not in raw:
        return []
    out = []
    for match in _PROTECTED.finditer(raw):
        try:
            header = json.loads(_unpad(match.group(1)))
            length, tail = header["formatLength"], _unpad(header["formatTail"].encode())
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError, binascii.Error):
            continue
        if isinstance(length, int) and 0 < length <= len(raw):
            out.append(raw[:length] + tail)
    return out


def _unpad(data: bytes) -> bytes:
    """base64url without padding, decoded."""
    return base64.urlsafe_b64decode(data + b"=" * (-len(data) % 4))
