"""The exploration notebook: saved with its outputs, written against the public API only, and those
outputs are what running it top to bottom on the bundled sample gives today."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "explore.ipynb"
REBUILD = "run it again and save it: uv run python tests/test_notebook.py"


def _code(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def _streams(nb) -> list[str]:
    return ["".join(o.get("text", "")) for c in _code(nb) for o in c.outputs if o.output_type == "stream"]


def test_notebook_is_saved_with_its_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    cells = _code(nb)
    assert [c.execution_count for c in cells] == list(range(1, len(cells) + 1)), REBUILD
    outputs = [o for c in cells for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [
        o for o in outputs if o.output_type in ("display_data", "execute_result") and "image/png" in o.data
    ]
    assert len(images) >= 2, "a pandas plot and an ecrcost chart are shown inline"


def test_notebook_uses_only_the_public_api():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    source = "\n".join(c.source for c in _code(nb))
    assert "import ecrcost" in source
    assert not re.search(r"from ecrcost[. ]|ecrcost\.(core|sources|outputs|app|analysis|cli)\b", source)


def test_notebook_runs_top_to_bottom_and_its_saved_outputs_are_current(tmp_path):
    saved = nbformat.read(NOTEBOOK, as_version=4)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # Raises CellExecutionError (naming the cell) on the first failing cell; the notebook's own asserts
    # check that the tables sum to the totals and that the what-if saves money.
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    text = "".join(_streams(nb))
    assert "Total $" in text and "saves $" in text
    assert _streams(nb) == _streams(saved), REBUILD


if __name__ == "__main__":  # run the notebook in place and save it with its outputs
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    ).execute()
    nbformat.write(notebook, NOTEBOOK)
