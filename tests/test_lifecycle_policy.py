"""Lifecycle policies are validated as ECR validates them: every rejection names the file, the rule and
the field, with ECR's reason; the CLI turns it into one line and exit code 2, leaving no output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecrcost import InputError, sample_path
from ecrcost.analysis.lifecycle import parse_policy, read_policy
from ecrcost.cli import app

FIXTURES = Path(__file__).parent / "fixtures" / "lifecycle"
INVALID = FIXTURES / "invalid"
runner = CliRunner()

REJECTIONS = {
    "tagged-without-list": "tagStatus 'tagged' requires a tagPrefixList or tagPatternList",
    "untagged-with-prefix": "may only be used with tagStatus 'tagged'",
    "pattern-and-prefix": "either tagPatternList or tagPrefixList, not both",
    "five-wildcards": "more than 4 wildcards",
    "duplicate-priority": "each rule needs a unique rulePriority",
    "any-not-last": "tagStatus 'any' must have the highest rulePriority",
    "two-untagged": "only one rule selecting standard images may select untagged images",
    "duplicate-prefix": "must contain a unique set of prefixes",
    "count-unit-with-count": "countUnit may only be specified when countType is",
    "since-without-unit": "requires countUnit 'days'",
    "zero-count": "countNumber is required, a whole number of at least 1",
    "pulled-expire": "'sinceImagePulled' can only be used with action.type 'transition'",
    "transition-without-target": "requires targetStorageClass 'archive'",
    "transitioned-standard": "'sinceImageTransitioned' requires storageClass 'archive'",
    "archive-under-90-days": "in archive for less than 90 days",
    "archive-with-count": "the only supported storageClass is 'standard'",
    "unknown-field": "unknown field(s) tagstatus",
    "bad-action": "action.type is required, 'expire' or 'transition'",
    "not-json": "not valid JSON",
    "no-rules": "'rules' is required",
}


def test_every_invalid_fixture_has_an_expected_reason():
    assert {p.stem for p in INVALID.glob("*.json")} == set(REJECTIONS)


@pytest.mark.parametrize("name", sorted(REJECTIONS))
def test_policy_is_rejected_with_ecrs_reason_naming_the_file(name):
    path = INVALID / f"{name}.json"
    with pytest.raises(InputError) as err:
        read_policy(path)
    message = str(err.value)
    assert message.startswith((f"{path}: ", f"{path}, line "))  # JSON errors also name the line
    assert REJECTIONS[name] in message
    assert "\n" not in message


def test_rejection_names_the_rule_position_and_priority():
    with pytest.raises(InputError, match=r"rules\[1\] \(rulePriority 7\): selection.countType is required"):
        parse_policy(
            json.dumps(
                {
                    "rules": [
                        {
                            "rulePriority": 1,
                            "selection": {
                                "tagStatus": "untagged",
                                "countType": "imageCountMoreThan",
                                "countNumber": 1,
                            },
                            "action": {"type": "expire"},
                        },
                        {
                            "rulePriority": 7,
                            "selection": {"tagStatus": "any", "countNumber": 1},
                            "action": {"type": "expire"},
                        },
                    ]
                }
            ),
            where="p.json",
        )


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.json")))
def test_documented_and_sample_policies_are_accepted(name):
    policy = read_policy(FIXTURES / name)
    priorities = [r.priority for r in policy.rules]
    assert priorities == sorted(priorities) and policy.name == name


def test_a_true_boolean_is_not_a_count():
    text = json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "selection": {
                        "tagStatus": "untagged",
                        "countType": "imageCountMoreThan",
                        "countNumber": True,
                    },
                    "action": {"type": "expire"},
                }
            ]
        }
    )
    with pytest.raises(InputError, match="countNumber"):
        parse_policy(text)


def test_policy_over_the_size_quota_is_rejected():
    with pytest.raises(InputError, match="at most 30,720 characters"):
        parse_policy(" " * 30_721)


def test_archive_rules_may_both_select_any_per_storage_class():
    policy = read_policy(FIXTURES / "aws-archive-then-expire.json")
    assert [(r.tag_status, r.storage_class, r.action) for r in policy.rules] == [
        ("any", "standard", "transition"),
        ("any", "archive", "expire"),
    ]


@pytest.mark.parametrize("name", ["any-not-last", "not-json", "archive-under-90-days"])
def test_cli_rejects_a_bad_policy_in_one_line_with_exit_2_and_no_output(tmp_path, name):
    out = tmp_path / "out.json"
    result = runner.invoke(
        app,
        [
            "lifecycle",
            str(sample_path()),
            "--policy",
            str(INVALID / f"{name}.json"),
            "-f",
            "json",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and f"{name}.json" in lines[0]
    assert REJECTIONS[name] in lines[0]
    assert "Traceback" not in result.output
    assert not out.exists() and not list(tmp_path.iterdir())


def test_cli_names_a_missing_policy_file(tmp_path):
    result = runner.invoke(app, ["lifecycle", str(sample_path()), "--policy", str(tmp_path / "nope.json")])
    assert result.exit_code == 2
    assert "nope.json: no such policy file" in result.stderr
