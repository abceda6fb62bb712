"""A long table in a file or pipe is laid out from its cells' lengths instead of rich measuring every
cell twice: the text must be the same as rich's own layout, and a table wider than a page is left to
rich."""

from __future__ import annotations

from factories import write_csv

import ecrcost
from ecrcost.outputs import terminal


def test_a_long_table_reads_the_same_as_rich_lays_it_out(tmp_path, monkeypatch):
    rows = [
        {"repository": f"team-{i % 7}/service{'x' * (i % 23)}-{i}", "storage_gb": str(i * 1.37),
         "internet_out_gb": str(i % 11 * 100)}
        for i in range(terminal.LONG + 50)
    ]  # fmt: skip
    est = ecrcost.estimate(write_csv(tmp_path / "s.csv", rows), month="2026-10")
    items = [terminal.estimate_table(est), terminal.notes_panel(est)]
    fast = terminal.text([i for i in items if i is not None])
    monkeypatch.setattr(terminal, "LONG", 10**9)  # rich measures every cell
    items = [terminal.estimate_table(est), terminal.notes_panel(est)]
    assert fast == terminal.text([i for i in items if i is not None])
    assert len(fast.splitlines()) > len(rows)


def test_a_table_wider_than_the_widest_page_is_left_to_rich(tmp_path, monkeypatch):
    rows = [{"repository": f"r{i}-" + "n" * 240, "storage_gb": "1"} for i in range(terminal.LONG)]
    est = ecrcost.estimate(write_csv(tmp_path / "s.csv", rows), month="2026-10")
    fast = terminal.text([terminal.estimate_table(est)])
    monkeypatch.setattr(terminal, "LONG", 10**9)
    assert fast == terminal.text([terminal.estimate_table(est)])
    assert max(len(line) for line in fast.splitlines()) <= terminal.WIDEST
