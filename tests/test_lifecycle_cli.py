"""`ecrcost lifecycle`: table and JSON per docs/formats.md, stored policies, --in-use and --keep-tags."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

from factories import GiB, Inventory
from typer.testing import CliRunner

from ecrcost import sample_path
from ecrcost.cli import app

FIXTURES = Path(__file__).parent / "fixtures" / "lifecycle"
runner = CliRunner()
AS_OF = ["--as-of", "2026-11-27T00:00:00Z", "--month", "2026-10"]
CONTRACT_KEYS = {
    "policy",
    "expired",
    "transitioned",
    "storage_usd_before",
    "storage_usd_after",
    "monthly_savings_usd",
}


def run_json(*args: str) -> dict:
    result = runner.invoke(app, ["lifecycle", *args, "-f", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout, parse_float=D)


def test_stored_policies_of_the_bundled_sample_in_json():
    doc = run_json(str(sample_path()), *AS_OF)
    [entry] = doc["policies"]
    assert set(entry) >= CONTRACT_KEYS
    assert entry["policy"] == "stored policies"
    assert len(entry["expired"]) == 5 and len(entry["transitioned"]) == 1
    assert entry["monthly_savings_usd"] == entry["storage_usd_before"] - entry["storage_usd_after"] > 0
    assert all(d.startswith("sha256:") for d in entry["expired"] + entry["transitioned"])
    repos = {(r["region"], r["repository"]): r for r in entry["repositories"]}
    assert repos[("us-east-1", "team-b/batch")]["expired"] == 5
    assert repos[("us-east-1", "team-b/batch")]["policy"] == "stored:team-b/batch"
    assert repos[("us-east-1", "legacy-tool")]["policy"] == ""
    assert entry["bytes_freed"] <= entry["expired_image_bytes"]  # shared layers stay
    assert (
        doc["period"] == "2026-10" and doc["as_of"] == "2026-11-27T00:00:00Z" and "run-rate" in doc["basis"]
    )


def test_json_amounts_are_number_literals_with_micro_dollars():
    result = runner.invoke(app, ["lifecycle", str(sample_path()), *AS_OF, "-f", "json"])
    assert '"storage_usd_before": 4.178157' in result.stdout


def test_policies_are_compared_side_by_side_in_the_order_given():
    a, b = FIXTURES / "keep-10-untagged.json", FIXTURES / "aws-keep-one-untagged.json"
    doc = run_json(str(sample_path()), "--policy", str(a), "--policy", str(b), *AS_OF)
    assert [p["policy"] for p in doc["policies"]] == [a.name, b.name]
    ten, one = doc["policies"]
    assert set(ten["expired"]) < set(one["expired"])
    assert one["monthly_savings_usd"] > ten["monthly_savings_usd"]
    table = runner.invoke(
        app,
        ["lifecycle", str(sample_path()), "--policy", str(a), "--policy", str(b), *AS_OF],
        env={"COLUMNS": "200"},
    )
    assert table.exit_code == 0
    header = next(line for line in table.stdout.splitlines() if a.name in line)
    assert header.index(a.name) < header.index(b.name)
    assert "Saving per month" in table.stdout and "Safe" in table.stdout


def small_inventory(tmp_path: Path) -> tuple[Path, str, str]:
    inventory = Inventory(tmp_path / "inv")
    old = inventory.push("app", "old", "2026-09-01T00:00:00Z", {"base": GiB, "old": GiB}, tags="release-1")
    mid = inventory.push("app", "mid", "2026-10-01T00:00:00Z", {"base": GiB, "mid": GiB}, tags="build-2")
    inventory.push("app", "new", "2026-10-20T00:00:00Z", {"base": GiB, "new": GiB}, tags="build-3")
    return inventory.write(), old, mid


def test_in_use_and_keep_tags_mark_a_policy_unsafe(tmp_path):
    folder, old, mid = small_inventory(tmp_path)
    policy = FIXTURES / "aws-all-images.json"  # rule 3 keeps one image of any kind
    in_use = tmp_path / "in-use.txt"
    in_use.write_text(f"# running in prod\n123456789012.dkr.ecr.us-east-1.amazonaws.com/app@{mid}\n\n")
    args = [str(folder), "--policy", str(policy), "--as-of", "2026-11-01T00:00:00Z", "--month", "2026-10"]
    plain = run_json(*args)["policies"][0]
    assert plain["safe"] is True and set(plain["expired"]) == {old, mid}
    checked = run_json(*args, "--in-use", str(in_use), "--keep-tags", "release-*")["policies"][0]
    assert checked["safe"] is False
    assert {(p["image_digest"], p["protected"]) for p in checked["protected"]} == {
        (old, "keep-tags"),
        (mid, "in use"),
    }
    assert checked["monthly_savings_usd"] == plain["monthly_savings_usd"] == D("0.200000")
    assert checked["bytes_freed"] == 2 * GiB
    table = runner.invoke(app, ["lifecycle", *args, "--in-use", str(in_use)], env={"COLUMNS": "200"})
    assert "NO" in table.stdout and "(in use)" in table.stdout


def test_output_file_is_written_and_stdout_stays_empty(tmp_path):
    out = tmp_path / "report" / "lifecycle.json"
    result = runner.invoke(app, ["lifecycle", str(sample_path()), *AS_OF, "-f", "json", "-o", str(out)])
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(out.read_text())["policies"][0]["policy"] == "stored policies"


def one_line_error(args: list[str]) -> str:
    result = runner.invoke(app, ["lifecycle", *args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.output
    return lines[0]


def test_no_policy_and_none_stored_is_a_clear_error(tmp_path):
    folder, _, _ = small_inventory(tmp_path)
    line = one_line_error([str(folder)])
    assert (
        "option --policy: no policy given and no repository of this inventory has a stored lifecycle" in line
    )


def test_bad_inputs_exit_2_in_one_line(tmp_path):
    folder, _, _ = small_inventory(tmp_path)
    policy = str(FIXTURES / "aws-all-images.json")
    assert "option --as-of" in one_line_error([str(folder), "--policy", policy, "--as-of", "soon"])
    assert "option --month" in one_line_error([str(folder), "--policy", policy, "--month", "2026-13"])
    bad = tmp_path / "in-use.txt"
    bad.write_text("app@sha256:0123456789abcdef0123456789abcdef\nnot an image\n")
    assert f"{bad}, line 2: 'not an image' is not an image" in one_line_error(
        [str(folder), "--policy", policy, "--in-use", str(bad)]
    )
    scenario = tmp_path / "s.csv"
    scenario.write_text("repository,storage_gb\napp,10\n")
    assert "needs an inventory folder" in one_line_error([str(scenario), "--policy", policy])


def test_repository_filter_limits_the_simulation():
    doc = run_json(str(sample_path()), "--repository", "team-b/*", *AS_OF)
    entry = doc["policies"][0]
    assert [r["repository"] for r in entry["repositories"]] == ["team-b/api", "team-b/batch"]
    assert len(entry["expired"]) == 5 and entry["transitioned"] == []  # team-a's stored policy is out
    assert "option --repository: no repository matches nope*" in one_line_error(
        [str(sample_path()), "--repository", "nope*"]
    )


def test_the_documented_python_example_gives_the_sample_saving(monkeypatch):
    root = Path(__file__).resolve().parent.parent
    monkeypatch.chdir(root)  # the example names data/sample-registry from the checkout
    page = (root / "docs" / "lifecycle.md").read_text()
    section = page[page.index("## In Python") :]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    scope: dict = {}
    exec(code, scope)  # the docs' own example, as a reader would paste it
    sim = scope["sim"]
    assert sim.monthly_savings_usd == D("0.546994") and len(sim.expired) == 5


def test_table_saving_is_before_minus_after_in_cents_and_repositories_add_up(tmp_path):
    # before $1.003979 and after $0.006007: rounded on their own they show $1.00 and $0.01, while the
    # exact saving $0.997972 would round to $1.00. The table shows $1.00 − $0.01 = $0.99, and the
    # repository lines add up to that.
    inventory = Inventory(tmp_path / "inv")
    for i, (repo, size) in enumerate(
        [("svc-a", 5_000_000_000), ("svc-b", 5_000_000_000), ("svc-c", 715_500_000)]
    ):
        inventory.push(repo, f"old{i}", "2026-09-01T00:00:00Z", {f"old{i}": size})
        inventory.push(repo, f"new{i}", "2026-10-20T00:00:00Z", {f"new{i}": 21_500_000})
    folder = inventory.write()
    args = [
        str(folder),
        "--policy",
        str(FIXTURES / "aws-keep-one-untagged.json"),
        "--as-of",
        "2026-11-01T00:00:00Z",
    ]
    result = runner.invoke(app, ["lifecycle", *args, "--month", "2026-10"], env={"COLUMNS": "200"})
    assert result.exit_code == 0

    def dollars(label: str) -> D:
        line = next(x for x in result.stdout.splitlines() if x.strip().startswith(label))
        return D(line.split("$")[-1].split()[0])

    before, after, saving = dollars("Storage before"), dollars("Storage after"), dollars("Saving per month")
    assert (before, after, saving) == (D("1.00"), D("0.01"), D("0.99"))
    repo_lines = [x for x in result.stdout.splitlines() if x.strip().startswith("us-east-1")]
    assert len(repo_lines) == 3
    assert sum(D(x.split("$")[1].split()[0]) for x in repo_lines) == saving == dollars("Total")
