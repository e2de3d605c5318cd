"""Every example script and the workflow notebook run, in their quick mode, on small data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = sorted(EXAMPLES.glob("*.py"))

# What each script must print (its headline result).
EXPECTED = {
    "quick_start.py": ["EDRL-MEA + SVC, trained on synth0, tested on synth1: UAR =",
                       "block importances", "X block", "intra", "inter"],
    "grid_search_leave_one_corpus_out.py": ["best parameters", "mean_test_uar"],
    "noise_robustness_curve.py": ["white 0 dB", "babble 10 dB", "figure written to"],
    "ssl_embeddings.py": ["SSL embeddings: 64 features", "on SSL embeddings (64 features)",
                          "on egemaps_like (88 features)"],
}


def _env():
    env = dict(os.environ, SKSER_EXAMPLE_QUICK="1", OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    return env


def test_every_script_is_covered():
    assert {p.name for p in SCRIPTS} == set(EXPECTED)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_example_script_runs(script, tmp_path):
    res = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=_env(),
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    for text in EXPECTED[script.name]:
        assert text in res.stdout
    if script.name == "noise_robustness_curve.py":
        assert (tmp_path / "noise_robustness_curve.png").stat().st_size > 1000


def test_workflow_notebook_runs(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(EXAMPLES / "workflow.ipynb", as_version=4)
    nbformat.validate(nb)
    assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code")
    # The kernel draws figures inline (as in Jupyter), not with the file-only backend.
    monkeypatch.delenv("MPLBACKEND", raising=False)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    text = "\n".join(
        str(out.get("data", {}).get("text/plain", "")) + str(out.get("text", ""))
        for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
    )
    assert "EDRL-MEA" in text and "babble 0 dB" in text
    images = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
              if "image/png" in out.get("data", {})]
    assert len(images) >= 4  # SNR curve, confusion matrices, block importances, embedding
