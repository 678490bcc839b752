"""A sweep writes its report.html when it ends (trials faked: the pipeline is not run)."""

from __future__ import annotations

from pathlib import Path

from kagglekit.report.html import REPORT_FILE
from tests.tuning.test_sweep_logic import FakeTrain, run


def test_a_finished_sweep_writes_its_report(tmp_path: Path) -> None:
    result = run(tmp_path, 3, FakeTrain())
    page = (tmp_path / REPORT_FILE).read_text()
    assert "Sweep: titanic" in page
    assert f"accuracy = {result.best_value:.6f}" in page
    assert "<h2>Trials (3)</h2>" in page
    assert "python scripts/train.py competition=titanic" in page  # the best trial's command
