"""The HTML report in a real browser (headless Chromium, where installed): at 1280 and 390 px wide the
page is no wider than the window (wide tables scroll inside their own box), and the screenshots are
written (``ECRCOST_SCREENSHOTS=DIR`` keeps them there to look at). Skipped, with the reason, where no
Chromium is installed (apt's ``chromium``)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecrcost.cli import app

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
# A browser window is at least 500 px wide: a phone's 390 px is an iframe that wide inside it.
FRAME = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" src="{page}" style="width:{width}px;height:6000px;border:0"></iframe>
<script>document.getElementById("f").onload = function () {{
  document.title = "W" + this.contentDocument.documentElement.scrollWidth; }};</script></body></html>"""


def chromium(*args: str) -> str:
    assert CHROMIUM is not None
    base = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    base += ["--allow-file-access-from-files", "--virtual-time-budget=5000"]
    done = subprocess.run([*base, *args], capture_output=True, text=True, timeout=120, check=False)
    return done.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (apt install chromium)")
@pytest.mark.parametrize("width", [1280, 390])
def test_the_page_fits_the_window_and_tables_scroll_inside(tmp_path, width):
    page = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", "--month", "2026-11", "--html", str(page)])
    assert result.exit_code == 0, result.output
    frame = tmp_path / f"frame-{width}.html"
    frame.write_text(FRAME.format(page=page.name, width=width), encoding="utf-8")
    dom = chromium(f"--window-size={max(width, 500)},3000", "--dump-dom", frame.as_uri())
    found = re.search(r"<title>W(\d+)</title>", dom)
    assert found, dom[:300]
    assert int(found.group(1)) <= width
    keep = Path(os.environ.get("ECRCOST_SCREENSHOTS") or tmp_path)
    keep.mkdir(parents=True, exist_ok=True)
    shot = keep / f"report-{width}.png"
    chromium(f"--window-size={width},3000", f"--screenshot={shot}", frame.as_uri())
    assert shot.read_bytes().startswith(b"\x89PNG")
