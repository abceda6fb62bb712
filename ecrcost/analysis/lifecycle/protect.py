"""Images a person wants kept whatever a policy says: images in use (``--in-use FILE``) and rollback tags
(``--keep-tags PATTERN``). ECR lifecycle rules cannot exempt them, so the simulator does not change
ECR's decisions; it reports every protected image a policy would expire or archive, and calls such a
policy unsafe."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ...core.errors import InputError
from .evaluate import text_values
from .policy import tag_patterns, wildcard_matches

DIGEST = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-fA-F0-9]{32,}$")
NAME = re.compile(r"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$")


@dataclass(frozen=True)
class Reference:
    """One image in use: a digest (any repository) or a repository with a digest or a tag."""

    repository: str  # "" = any repository
    digest: str
    tag: str


def parse_reference(text: str) -> Reference | None:
    """``sha256:…``, ``repo@sha256:…``, ``repo:tag``, ``repo`` (= ``repo:latest``) or a full image URI
    (``123456789012.dkr.ecr.us-east-1.amazonaws.com/repo:tag``); None if it is none of these."""
    text = text.strip()
    first, _, rest = text.partition("/")
    if rest and ("." in first or ":" in first):  # a registry host: drop it
        text = rest
    if DIGEST.match(text):
        return Reference("", text, "")
    if "@" in text:
        repo, _, digest = text.partition("@")
        repo = _without_tag(repo)  # repo:tag@digest (as ECS task definitions may pin it): the digest counts
        return Reference(repo, digest, "") if repo and DIGEST.match(digest) else None
    repo = _without_tag(text)
    if not NAME.match(repo):
        return None
    return Reference(repo, "", text[len(repo) + 1 :] or "latest")  # no tag: Docker's "latest"


def _without_tag(text: str) -> str:
    head, sep, tail = text.rpartition(":")
    return head if sep and "/" not in tail else text


def read_in_use(path: str | Path) -> tuple[Reference, ...]:
    """The images in use, one per line (digest, repo@digest, repo:tag or image URI); '#' starts a
    comment. A line that names no image is an error naming its line number."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()  # a byte-order mark is no image
    except FileNotFoundError:
        raise InputError("no such file", file=path, field="in_use") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read it ({exc})", file=path, field="in_use") from None
    refs = []
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        ref = parse_reference(text)
        if ref is None:
            raise InputError(
                f"'{text}' is not an image (sha256:…, repo@sha256:…, repo:tag or an image URI)",
                file=path,
                row=number,
            )
        refs.append(ref)
    return tuple(refs)


def in_use(images: pd.DataFrame, refs: Iterable[Reference]) -> np.ndarray:
    """Which images are in use; the children of an index in use are in use too (a pull picks one)."""
    refs = list(refs)
    n = len(images)
    out = np.zeros(n, dtype=bool)
    if not refs or not n:
        return out
    repo = images["repository"].astype(str).to_numpy()
    digest = images["image_digest"].astype(str).to_numpy()
    tag_sets = pd.Series(text_values(images["image_tags"])).str.split()
    by_digest = {r.digest for r in refs if r.digest and not r.repository}
    by_repo_digest = {(r.repository, r.digest) for r in refs if r.digest and r.repository}
    by_tag = {(r.repository, r.tag) for r in refs if r.tag}
    out |= np.isin(digest, list(by_digest))
    out |= _pairs_in(repo, digest, by_repo_digest)
    if by_tag:
        exploded = tag_sets.explode().dropna()
        rows = exploded.index.to_numpy()
        out[rows[_pairs_in(repo[rows], exploded.to_numpy(dtype=object), by_tag)]] = True
    parent = text_values(images["parent_digest"])
    out |= _pairs_in(repo, parent, set(zip(repo[out], digest[out], strict=True)))
    return out


def _pairs_in(first: np.ndarray, second: np.ndarray, pairs: set[tuple[str, str]]) -> np.ndarray:
    if not pairs:
        return np.zeros(len(first), dtype=bool)
    return pd.MultiIndex.from_arrays([first, second]).isin(list(pairs))


def keeps_tags(images: pd.DataFrame, patterns: Iterable[str]) -> np.ndarray:
    """Images with a tag matching any ``patterns`` (wildcards '*', as in tagPatternList, within ECR's
    limits for one)."""
    patterns = tag_patterns(patterns)
    n = len(images)
    out = np.zeros(n, dtype=bool)
    if not patterns or not n:
        return out
    exploded = pd.Series(text_values(images["image_tags"])).str.split().explode().dropna()
    rows = exploded.index.to_numpy()
    for pattern in patterns:
        out[rows[wildcard_matches(exploded, pattern)]] = True
    return out
