"""Starting the command line is cheap: help and version import none of the heavy libraries."""

from __future__ import annotations

import subprocess
import sys

import ecrcost

HEAVY = ("pandas", "numpy", "pyarrow", "duckdb", "boto3", "botocore", "matplotlib")
PROBE = """
import sys
from ecrcost.cli import main
sys.argv = ["ecrcost", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print("LOADED:" + ",".join(sorted(m for m in {heavy} if m in sys.modules)))
"""


def loaded(*args: str) -> str:
    code = PROBE.format(heavy=repr(HEAVY))
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    return out.stdout.rsplit("LOADED:", 1)[1].strip()


def test_help_and_version_import_no_heavy_library():
    assert loaded("--help") == ""
    assert loaded("--version") == ""
    assert loaded("estimate", "--help") == ""


def test_python_dash_m_prints_the_one_version():
    out = subprocess.run(
        [sys.executable, "-m", "ecrcost", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"ecrcost {ecrcost.__version__}"
