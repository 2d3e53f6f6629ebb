"""Notebooks: committed without outputs, and they run end to end on a small sample."""

import json
from pathlib import Path

import papermill as pm
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name} cell {i} has outputs"
            assert cell.get("execution_count") is None, f"{path.name} cell {i} has an execution count"
    tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{path.name} needs exactly one cell tagged 'parameters'"


def test_explore_ledger_runs_on_a_small_sample(tmp_path):
    from arkit.sample import write_sample

    ledger = write_sample(tmp_path / "s.xlsx", n_invoices=800, seed=2, as_of="2026-06-30")
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(
        str(NOTEBOOKS[[p.name for p in NOTEBOOKS].index("explore_ledger.ipynb")]),
        str(out),
        parameters={"ledger_path": str(ledger), "as_of": "2026-06-30", "months": 6},
        kernel_name="python3",
        progress_bar=False,
        cwd=str(tmp_path),
    )
    nb = json.loads(out.read_text())
    errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    stderr = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("name") == "stderr"]
    assert not errors and not stderr, (errors, stderr)
    images = [o for c in nb["cells"] for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) == 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_opens_on_the_arkit_kernel(path):
    """JupyterLab picks the kernel from the notebook's kernelspec: it must be the one `make` installs
    (``ipykernel install --name arkit --display-name "arkit (.venv)"``), not whatever "python3" is."""
    spec = json.loads(path.read_text(encoding="utf-8"))["metadata"]["kernelspec"]
    assert spec["name"] == "arkit" and spec["display_name"] == "arkit (.venv)", spec


def test_monthly_review_keeps_warnings_in_the_audit_trail():
    """The executed notebook is the audit trail: a warning must be recorded there (the HTML drops stderr)."""
    nb = json.loads((NOTEBOOKS[0].parent / "monthly_review.ipynb").read_text(encoding="utf-8"))
    code = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "filterwarnings" not in code
