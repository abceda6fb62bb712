"""Inventory folders, local or in object storage (``s3://bucket/prefix``), as the inventory reader walks
them: a folder's entries, a subfolder, one of its files. An S3 folder is read with pyarrow's own S3
client (:mod:`ecrcost.sources.remote` makes it): ranged GETs, a Parquet file's footer and then only
the column chunks a command reads."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..core.errors import InputError

if TYPE_CHECKING:
    import pyarrow.fs as pafs

URL = re.compile(r"^(s3a?|gs|https?):/+(.*)$")  # a Path folds s3:// into s3:/


@dataclass(frozen=True)
class S3File:
    """A file in S3: ``key`` is ``bucket/key`` as pyarrow names it; messages show ``url``."""

    url: str
    key: str
    fs: pafs.FileSystem

    def __str__(self) -> str:
        return self.url

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[-1]

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix


class Folder(Protocol):
    """A folder of an inventory: its subfolders' and files' names, a subfolder, one of its files."""

    def entries(self) -> tuple[list[str], list[str]]: ...

    def child(self, name: str) -> Folder: ...

    def file(self, name: str) -> Path | S3File: ...

    def named(self) -> Path | S3File:
        """The folder as an error about a whole table names it."""
        ...


@dataclass(frozen=True)
class LocalFolder:
    path: Path

    def __str__(self) -> str:
        return str(self.path)

    def entries(self) -> tuple[list[str], list[str]]:
        folders: list[str] = []
        files: list[str] = []
        with os.scandir(self.path) as found:
            for entry in found:  # a broken link is a file here (and an error when read)
                (folders if entry.is_dir() else files).append(entry.name)
        return sorted(folders), sorted(files)

    def child(self, name: str) -> LocalFolder:
        return LocalFolder(self.path / name)

    def file(self, name: str) -> Path:
        return self.path / name

    def named(self) -> Path:
        return self.path


@dataclass(frozen=True)
class S3Folder:
    fs: pafs.FileSystem
    key: str  # bucket/prefix, no trailing slash
    # the listing, made once per folder (the partition walk and each table's lookup share it)
    listed: list[tuple[list[str], list[str]]] = field(default_factory=list, compare=False, repr=False)

    def __str__(self) -> str:
        return f"s3://{self.key}/"

    def entries(self) -> tuple[list[str], list[str]]:
        import pyarrow.fs as pafs

        if self.listed:
            return self.listed[0]

        found = s3_call(
            lambda: self.fs.get_file_info(pafs.FileSelector(self.key, recursive=False, allow_not_found=True)),
            str(self),
        )
        folders = [f.base_name for f in found if f.type == pafs.FileType.Directory]
        files = [f.base_name for f in found if f.type == pafs.FileType.File]
        self.listed.append((sorted(folders), sorted(files)))
        return self.listed[0]

    def child(self, name: str) -> S3Folder:
        return S3Folder(self.fs, f"{self.key}/{name}")

    def file(self, name: str) -> S3File:
        return S3File(f"s3://{self.key}/{name}", f"{self.key}/{name}", self.fs)

    def named(self) -> S3File:
        return S3File(f"s3://{self.key}", self.key, self.fs)


def s3_call(call: Any, where: str) -> Any:
    try:
        return call()
    except OSError as exc:  # pyarrow raises S3's refusals as OSError with AWS's error text
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"S3 could not be read ({text})", file=where) from None
