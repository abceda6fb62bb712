"""Images in use and kept tags: how --in-use lines are read."""

from __future__ import annotations

import pytest

from ecrcost.analysis.lifecycle.protect import Reference, parse_reference

D = "sha256:" + "ab" * 32
HOST = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (D, Reference("", D, "")),
        (f"team-a/web@{D}", Reference("team-a/web", D, "")),
        (f"{HOST}/team-a/web@{D}", Reference("team-a/web", D, "")),
        (f"{HOST}/team-a/web:v1.2@{D}", Reference("team-a/web", D, "")),
        (f"{HOST}/team-a/web:v1.2", Reference("team-a/web", "", "v1.2")),
        ("team-a/web:release-1", Reference("team-a/web", "", "release-1")),
        (f"{HOST}/team-a/web", Reference("team-a/web", "", "latest")),
        ("localhost:5000/app:v1", Reference("app", "", "v1")),
        ("  app:v1  ", Reference("app", "", "v1")),
    ],
)
def test_in_use_lines_name_an_image(text, expected):
    assert parse_reference(text) == expected


@pytest.mark.parametrize("text", ["not an image", "app@sha256:xyz", "Upper/Case:v1", "app@"])
def test_what_is_not_an_image_is_refused(text):
    assert parse_reference(text) is None
