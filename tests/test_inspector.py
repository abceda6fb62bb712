"""Reading Amazon Inspector's covered resources (ListCoverage items, as botocore parses them) into
workloads rows, and the cross-check note."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ecrcost.sources.collect.inspector import image_row, unnamed
from ecrcost.sources.collect.shapes import BadAnswer
from ecrcost.sources.workloads import row

NOW = datetime(2026, 11, 29, tzinfo=UTC)
DIGEST = "sha256:" + "ab" * 32
ARN = f"arn:aws:ecr:eu-west-1:111122223333:repository/team/app/{DIGEST}"


def item(count: int | None = 1, last: datetime | None = None, **extra: object) -> dict:
    image: dict = {"tags": ["v1"]}
    if count is not None:
        image["inUseCount"] = count
    if last is not None:
        image["lastInUseAt"] = last
    meta = {"ecrRepository": {"name": "team/app", "scanFrequency": "CONTINUOUS_SCAN"}, "ecrImage": image}
    return (
        {"resourceType": "AWS_ECR_CONTAINER_IMAGE", "resourceId": ARN, "accountId": "111122223333"}
        | {"resourceMetadata": meta}
        | extra
    )


def test_an_image_in_use_is_a_row_named_by_its_arn():
    got = image_row(item(3, NOW - timedelta(hours=2)), "111122223333", "eu-west-1", NOW)
    assert got is not None
    assert (got["kind"], got["workload"], got["tasks"]) == ("inspector", "team/app", 3)
    assert (got["registry_account_id"], got["registry_region"], got["repository"]) == (
        "111122223333",
        "eu-west-1",
        "team/app",
    )
    assert (got["image_digest"], got["image_tag"]) == (DIGEST, "")
    assert got["first_seen"] == got["last_seen"] == "2026-11-28T22:00:00Z"


@pytest.mark.parametrize(
    ("count", "days", "kept"),
    [(0, 29, True), (0, 31, False), (0, None, False), (None, None, False), (2, 400, True)],
)
def test_in_use_means_a_count_or_a_recent_last_use(count, days, kept):
    last = None if days is None else NOW - timedelta(days=days)
    assert (image_row(item(count, last), "111122223333", "eu-west-1", NOW) is not None) is kept


def test_other_resource_types_are_skipped_and_malformed_items_are_bad_answers():
    assert image_row(item(resourceType="AWS_ECR_REPOSITORY"), "1", "r", NOW) is None
    for bad in (
        item(resourceId="arn:aws:ecr:eu-west-1:111122223333:repository/team/app"),
        item(count=-1),
        item(resourceMetadata={"ecrImage": "x"}),
        item(last="yesterday"),  # type: ignore[arg-type]
    ):
        with pytest.raises(BadAnswer):
            image_row(bad, "111122223333", "eu-west-1", NOW)


def test_the_cross_check_names_only_images_no_workload_runs():
    host = "111122223333.dkr.ecr.eu-west-1.amazonaws.com"
    other = "sha256:" + "cd" * 32
    seen = image_row(item(1), "111122223333", "eu-west-1", NOW)
    assert seen is not None
    lone = dict(seen, repository="team/tool", image_digest=other)
    task = row(
        account_id="111122223333",
        region="eu-west-1",
        kind="ecs-task",
        cluster="prod",
        workload="app",
        container="c",
        image=f"{host}/team/app:v1",
        digest=DIGEST,
        tasks=1,
    )
    assert unnamed([seen, task]) is None
    note = unnamed([seen, lone, task])
    assert (
        note is not None
        and note.startswith("Amazon Inspector: 1 image(s)")
        and "team/tool@sha256:cdcd" in note
    )
