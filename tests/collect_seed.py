"""The registries the collect tests read: real manifest files pushed to moto over HTTP, in two regions
and two accounts. ``EXPECTED`` is what storage those manifests imply, computed from the files alone."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import pytest

from ecrcost.core.period import Month
from ecrcost.sources.collect import Options

MANIFESTS = Path(__file__).parent / "fixtures" / "manifests"
ACCOUNT_A = "123456789012"  # moto's default account: the base credentials
ACCOUNT_B = "111122223333"
ROLE_B = f"arn:aws:iam::{ACCOUNT_B}:role/EcrCostReader"
SCHEMA1_SIZE = 41_000_000  # what DescribeImages reports for the schema 1 image
SCHEMA1_TYPE = "application/vnd.docker.distribution.manifest.v1+prettyjws"

# (account, region, repository) → [(manifest file, tag or "")]; index children are pushed untagged.
LAYOUT: dict[tuple[str, str, str], list[tuple[str, str]]] = {
    (ACCOUNT_A, "us-east-1", "team-a/web"): [("docker-v2.json", "v1"), ("oci-manifest.json", "worker-1")],
    (ACCOUNT_A, "us-east-1", "team-a/api"): [
        ("oci-child-amd64.json", ""),
        ("oci-child-arm64.json", ""),
        ("oci-index.json", "latest"),
    ],
    (ACCOUNT_A, "us-east-1", "legacy/tool"): [("schema1.json", "2015")],
    (ACCOUNT_A, "eu-west-1", "team-b/worker"): [("oci-manifest.json", "w1"), ("docker-v2.json", "w2")],
    (ACCOUNT_B, "us-east-1", "shared/base"): [("docker-v2.json", "b1")],
}
DENIED_REGION = "eu-central-1"
DENIED_REPO = (ACCOUNT_A, DENIED_REGION, "team-c/secret")
PULLS = {(ACCOUNT_A, "us-east-1", "team-a/web"): [10, 20], (ACCOUNT_B, "us-east-1", "shared/base"): [5]}
ROLE_A = f"arn:aws:iam::{ACCOUNT_A}:role/EcrCostReader"
REGIONS = ("us-east-1", "eu-west-1")
MONTH = Month.parse(None)


def aws_env(mp: pytest.MonkeyPatch, endpoint: str | None, pricing: str | None = None) -> None:
    """Test credentials only, and every AWS call to ``endpoint`` (the Price List's to ``pricing``)."""
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        mp.delenv(key)
    mp.setenv("AWS_ACCESS_KEY_ID", "testing")
    mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
    mp.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    mp.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    if endpoint:
        mp.setenv("AWS_ENDPOINT_URL", endpoint)
    if pricing:
        mp.setenv("AWS_ENDPOINT_URL_PRICING", pricing)


def options(tmp: Path, **kw: Any) -> Options:
    """Collect both accounts in ``REGIONS`` into ``tmp/inventory``, caching under ``tmp/cache``."""
    base = {
        "output": tmp / "inventory",
        "regions": REGIONS,
        "role_arns": (ROLE_A, ROLE_B),
        "cache_dir": tmp / "cache",
        "month": str(MONTH),
        "quiet": True,
    }
    return Options(**(base | kw))


def reset(endpoint: str) -> None:
    """Empty moto's backends (they live in this process, shared by every server it runs)."""
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")).close()


def plant(endpoint: str, region: str, repository: str, manifests: list[str], size: int = 1000) -> list[str]:
    """Store manifests moto could not take through PutImage (not JSON, nested 200,000 deep, ...) as
    images of a new repository of account A, each under the sha256 of its bytes and reported by
    DescribeImages as ``size`` bytes. Returns the digests."""
    from moto.ecr.models import Image, ecr_backends

    class Planted(Image):  # moto reads the size from the manifest; these manifests may have none
        @property
        def image_size_in_bytes(self) -> int | None:
            return size

    ecr, _ = clients(endpoint, ACCOUNT_A, region)
    ecr.create_repository(repositoryName=repository)
    repo = ecr_backends[ACCOUNT_A][region].repositories[repository]
    digests = []
    for i, manifest in enumerate(manifests):
        digests.append(sha(manifest))
        repo.images.append(Planted(ACCOUNT_A, f"t{i}", manifest, repository, None, sha(manifest)))
    return digests


def text(name: str) -> str:
    return (MANIFESTS / name).read_text(encoding="utf-8")


def sha(data: str) -> str:
    return "sha256:" + hashlib.sha256(data.encode()).hexdigest()


def blobs(name: str) -> dict[str, int]:
    """Digest → bytes of what a manifest file stores (config + layers); an index stores its children's."""
    doc = json.loads(text(name))
    if "manifests" in doc:
        out: dict[str, int] = {}
        for child in doc["manifests"]:
            files = [p.name for p in MANIFESTS.glob("*.json") if sha(p.read_text()) == child["digest"]]
            out |= blobs(files[0])
        return out
    if doc.get("schemaVersion") == 1:
        return {sha(name): SCHEMA1_SIZE}
    return {b["digest"]: b["size"] for b in [doc["config"], *doc["layers"]]}


def unique_bytes(account: str, region: str, repository: str) -> int:
    stored: dict[str, int] = {}
    for name, _ in LAYOUT[(account, region, repository)]:
        stored |= blobs(name)
    return sum(stored.values())


def clients(endpoint: str, account: str, region: str):
    if account == ACCOUNT_A:
        session = boto3.Session(region_name=region)
    else:
        sts = boto3.client("sts", endpoint_url=endpoint, region_name=region)
        c = sts.assume_role(RoleArn=ROLE_B, RoleSessionName="seed")["Credentials"]
        session = boto3.Session(
            aws_access_key_id=c["AccessKeyId"],
            aws_secret_access_key=c["SecretAccessKey"],
            aws_session_token=c["SessionToken"],
            region_name=region,
        )
    return session.client("ecr", endpoint_url=endpoint), session.client("cloudwatch", endpoint_url=endpoint)


def seed(endpoint: str, pushed_at: dt.datetime, pulled_at: dt.datetime) -> None:
    """Push every image of ``LAYOUT`` (digest = sha256 of the manifest bytes), backdate the pushes to
    ``pushed_at`` and record pulls at ``pulled_at``."""
    from moto.ecr.models import Image, ecr_backends

    class SizedImage(Image):  # moto reports no size for schema 1; real ECR does
        @property
        def image_size_in_bytes(self) -> int | None:
            return SCHEMA1_SIZE

    for (account, region, repository), images in [*LAYOUT.items(), (DENIED_REPO, [("docker-v2.json", "x")])]:
        ecr, cw = clients(endpoint, account, region)
        ecr.create_repository(repositoryName=repository, tags=[{"Key": "CostCenter", "Value": "cc-42"}])
        for name, tag in images:
            manifest = text(name)
            kwargs = {"imageTag": tag} if tag else {}
            if name == "schema1.json":
                kwargs["imageManifestMediaType"] = SCHEMA1_TYPE
            ecr.put_image(
                repositoryName=repository, imageManifest=manifest, imageDigest=sha(manifest), **kwargs
            )
        for count in PULLS.get((account, region, repository), []):
            cw.put_metric_data(
                Namespace="AWS/ECR",
                MetricData=[
                    {
                        "MetricName": "RepositoryPullCount",
                        "Dimensions": [{"Name": "RepositoryName", "Value": repository}],
                        "Timestamp": pulled_at,
                        "Value": count,
                        "Unit": "Count",
                    }
                ],
            )
        for image in ecr_backends[account][region].repositories[repository].images:
            image.image_pushed_at = int(pushed_at.timestamp())
            if image.image_digest == sha(text("schema1.json")):
                image.__class__ = SizedImage
    ecr, _ = clients(endpoint, ACCOUNT_A, "us-east-1")
    ecr.put_lifecycle_policy(
        repositoryName="team-a/web",
        lifecyclePolicyText=json.dumps(
            {
                "rules": [
                    {
                        "rulePriority": 1,
                        "selection": {
                            "tagStatus": "any",
                            "countType": "imageCountMoreThan",
                            "countNumber": 50,
                        },
                        "action": {"type": "expire"},
                    }
                ]
            }
        ),
    )
