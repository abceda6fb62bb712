"""Reading an inventory in S3 (``s3://bucket/prefix``): pyarrow's S3 client signed with the credentials
of the boto3 chain (environment, ``AWS_PROFILE``, SSO, instance or task role); ``AWS_ENDPOINT_URL_S3``
or ``AWS_ENDPOINT_URL`` points it elsewhere (an S3-compatible store, or a test server)."""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..core.errors import InputError
from .collect.permissions import Operation, register
from .objectstore import S3Folder

if TYPE_CHECKING:
    import pyarrow.fs as pafs

# Read-only, declared beside the calls (pyarrow's S3 client sends them; HeadObject needs s3:GetObject).
for _op in (
    Operation("s3", "ListObjectsV2", "s3:ListBucket", "estimate s3://|export s3://"),
    Operation("s3", "HeadObject", "s3:GetObject", "estimate s3://|export s3://"),
    Operation("s3", "GetObject", "s3:GetObject", "estimate s3://|export s3://"),
):
    register(_op)


def s3_folder(url: str) -> S3Folder:
    """``s3://bucket/prefix`` as a folder, with a client signed by the boto3 credential chain."""
    parts = urlsplit(url)
    bucket, prefix = parts.netloc, parts.path.strip("/")
    if not bucket:
        raise InputError("an S3 location is s3://bucket/prefix", file=url)
    return S3Folder(s3_filesystem(bucket, url), f"{bucket}/{prefix}" if prefix else bucket)


def s3_filesystem(bucket: str, url: str) -> pafs.FileSystem:
    """pyarrow's S3 client with the boto3 chain's credentials, region and endpoint."""
    import boto3
    import botocore.exceptions
    import pyarrow.fs as pafs

    try:
        session = boto3.Session()
        found = session.get_credentials()
    except botocore.exceptions.BotoCoreError as exc:
        raise InputError(f"AWS credentials could not be read: {exc}", file=url) from None
    if found is None:
        raise InputError(
            "no AWS credentials found to read the inventory from S3 (the boto3 chain: environment, "
            "AWS_PROFILE, SSO, instance or task role)",
            file=url,
        )
    creds = found.get_frozen_credentials()
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    options: dict[str, Any] = {
        "access_key": creds.access_key,
        "secret_key": creds.secret_key,
        "session_token": creds.token,
        "region": session.region_name or "us-east-1",
    }
    if endpoint:
        where = urlsplit(endpoint)
        options |= {"endpoint_override": where.netloc or where.path, "scheme": where.scheme or "https"}
    else:  # the bucket's own region (a HEAD request), so a bucket elsewhere is read without a redirect
        with contextlib.suppress(OSError):  # else the session's: S3 names the right one if that is wrong
            options["region"] = pafs.resolve_s3_region(bucket)
    return pafs.S3FileSystem(**options)
