"""Where a bill export lives: a file, a folder of parts (Data Exports writes Parquet or gzip'd CSV
parts, with a manifest beside them), or the same under ``s3://bucket/prefix``, read with boto3 into a
temporary folder first (boto3's credentials and ``AWS_ENDPOINT_URL`` as everywhere)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ...core.errors import InputError
from ..collect.permissions import Operation, register

# Read-only, declared beside the calls (IAM names ListObjectsV2's permission s3:ListBucket).
for _op in (
    Operation("s3", "ListObjectsV2", "s3:ListBucket", "reconcile s3://"),
    Operation("s3", "GetObject", "s3:GetObject", "reconcile s3://"),
):
    register(_op)
SUFFIXES = (".parquet", ".csv", ".csv.gz")
Part = tuple[Path, str]  # the file to read, and the name to show in messages


def is_part(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return not base.startswith((".", "_")) and base.lower().endswith(SUFFIXES)


@contextmanager
def bill_files(location: str, profile: str | None = None) -> Iterator[list[Part]]:
    """The export's files (sorted), local or fetched from S3 for the duration of the block."""
    if location.startswith("s3://"):
        with tempfile.TemporaryDirectory(prefix="ecrcost-bill-") as tmp:
            yield _fetch(location, Path(tmp), profile)
        return
    path = Path(location)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and is_part(p.name))
        if not files:
            raise InputError(f"no bill files here (looked for {', '.join(SUFFIXES)})", file=path)
        yield [(p, str(p)) for p in files]
        return
    if not path.is_file():
        raise InputError("no such file or folder", file=path)
    if not is_part(path.name):
        raise InputError(f"a bill file ends in {', '.join(SUFFIXES)}", file=path)
    yield [(path, str(path))]


def _fetch(location: str, into: Path, profile: str | None) -> list[Part]:
    import boto3
    import botocore.exceptions

    bucket, _, prefix = location[len("s3://") :].partition("/")
    if not bucket:
        raise InputError("an S3 location is s3://bucket/prefix", file=location)
    try:
        s3: Any = boto3.Session(profile_name=profile).client("s3")
        keys = [
            obj["Key"]
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for obj in page.get("Contents", [])
            if is_part(obj["Key"])
        ]
        if not keys:
            raise InputError(
                f"no bill files under this prefix (looked for {', '.join(SUFFIXES)})", file=location
            )
        files = []
        for i, key in enumerate(sorted(keys)):
            target = into / f"{i:06d}-{key.rsplit('/', 1)[-1]}"
            s3.download_file(bucket, key, str(target))
            files.append((target, f"s3://{bucket}/{key}"))
        return files
    except botocore.exceptions.ProfileNotFound:
        raise InputError(f"AWS profile '{profile}' not found", field="profile") from None
    except botocore.exceptions.NoCredentialsError:
        raise InputError("no AWS credentials found to read the bill from S3", file=location) from None
    except botocore.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "error")
        raise InputError(
            f"S3 refused ({code}): {exc.response.get('Error', {}).get('Message', '')}", file=location
        ) from None
    except botocore.exceptions.BotoCoreError as exc:
        raise InputError(f"S3 could not be read: {exc}", file=location) from None
