"""API calls and wall time of ``collect`` over 10,000 images against a local moto server.

    uv run python benchmarks/bench_collect.py                 # 10,000 images in 8 repositories
    uv run python benchmarks/bench_collect.py --images 20000 --repositories 20 --throttle-every 20

moto runs in this process behind the tests' WSGI layer (``tests/fakeaws.py``), which pages
DescribeRepositories / DescribeImages like ECR (moto alone returns everything in one page, which
would make the call count meaningless) and can throttle a share of requests. Images are appended to
moto's backend directly (HTTP ``put_image`` is O(n) per push). Two collections run: a cold one (empty
manifest cache) and a warm one (same cache: no BatchGetImage at all). Calls made / minimum counts
API calls (pages of 1,000 images, batches of 100 manifests, 500 metric queries); retries of
throttled requests are reported apart.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ACCOUNT = "123456789012"
REGION = "us-east-1"


def sha(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def seed(endpoint: str, images: int, repositories: int) -> None:
    import boto3
    from moto.ecr.models import Image, ecr_backends

    ecr = boto3.client("ecr", region_name=REGION, endpoint_url=endpoint)
    template = json.loads((ROOT / "tests/fixtures/manifests/docker-v2.json").read_text())
    for r in range(repositories):
        name = f"bench/repo-{r:03d}"
        ecr.create_repository(repositoryName=name)
        repo = ecr_backends[ACCOUNT][REGION].repositories[name]
        for i in range(r, images, repositories):
            template["layers"][-1]["digest"] = sha(f"app-{i}")  # shared base layers, one own layer
            manifest = json.dumps(template)
            repo.images.append(Image(ACCOUNT, f"v{i}", manifest, name, template["mediaType"], sha(manifest)))


def run(label: str, output: Path, cache: Path) -> dict:
    from ecrcost.sources.collect import Options, collect

    t = time.perf_counter()
    result = collect(Options(output=output, regions=(REGION,), cache_dir=cache, quiet=True))
    wall = time.perf_counter() - t
    api = result.summary["api"]
    return {
        "run": label,
        "images": result.summary["images"],
        "wall_s": round(wall, 2),
        "calls": api["calls_total"],
        "minimum": api["minimum_total"],
        "ratio": api["ratio"],
        "retries": api["retries"],
        "by_operation": api["calls"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--repositories", type=int, default=8)
    parser.add_argument(
        "--throttle-every", type=int, default=0, help="throttle every n-th request (0: never)"
    )
    args = parser.parse_args()
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        del os.environ[key]
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    from tests.fakeaws import Server

    server = Server()
    server.front.throttle_every = args.throttle_every
    t = time.perf_counter()
    seed(server.url, args.images, args.repositories)
    print(
        f"seeded {args.images} images in {args.repositories} repositories in {time.perf_counter() - t:.1f}s"
    )
    os.environ["AWS_ENDPOINT_URL"] = server.url
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache"
        for label in ("cold cache", "warm cache"):
            print(json.dumps(run(label, Path(tmp) / label.replace(" ", "-"), cache)))
    print(f"throttled requests: {server.front.throttled}")
    server.stop()


if __name__ == "__main__":
    main()
