"""`kagglekit submit`: validation first, the official client through a recording fake `kaggle`
executable first on PATH (no network, never the real service), and the submissions.csv record."""

from __future__ import annotations

import json
import stat
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from kagglekit.errors import ConfigError
from kagglekit.submit import RECORD_FILE, SubmitError, submit, submit_main

FAKE_KAGGLE = """#!/usr/bin/env python3
import json, os, sys
with open(os.environ["FAKE_KAGGLE_LOG"], "a") as fh:
    fh.write(json.dumps(sys.argv[1:]) + "\\n")
if os.environ.get("FAKE_KAGGLE_FAIL"):
    print("400 - Bad Request: Submission not allowed: competition has ended", file=sys.stderr)
    sys.exit(1)
print("Successfully submitted to Toy Competition")
"""


def write_run(tmp_path: Path, *, slug: str | None = None) -> Path:
    """A finished run of a toy binary competition (ids 10..13, labels 0/1), without training."""
    data = tmp_path / "data"
    data.mkdir()
    pd.DataFrame({"id": [1, 2, 3, 4], "x": [0.1, 0.2, 0.3, 0.4], "label": [0, 1, 0, 1]}).to_csv(
        data / "train.csv", index=False
    )
    pd.DataFrame({"id": [10, 11, 12, 13], "x": [0.5, 0.6, 0.7, 0.8]}).to_csv(
        data / "test.csv", index=False
    )
    pd.DataFrame({"id": [10, 11, 12, 13], "label": [0, 0, 0, 0]}).to_csv(
        data / "sample_submission.csv", index=False
    )
    run = tmp_path / "run"
    run.mkdir()
    slug_line = f"  kaggle_slug: {slug}\n" if slug else ""
    (run / "config.yaml").write_text(
        textwrap.dedent(
            f"""\
            competition:
              _target_: kagglekit.competition.CompetitionSpec
              name: toy
              data_dir: {data}
              id_column: id
              target: label
              task: binary
              metric: accuracy
              submission: label
              features:
                _target_: kagglekit.data.preprocessing.TabularPreprocessor
                _partial_: true
            """
        )
        + slug_line
    )
    (run / "scores.json").write_text(json.dumps({"metric": "accuracy", "cv": 0.75}))
    (run / "fingerprint.json").write_text(
        json.dumps({"version": 1, "config": {"a": 1}, "files": {}, "folds": "abc"})
    )
    pd.DataFrame({"id": [10, 11, 12, 13], "label": [0, 1, 1, 0]}).to_csv(
        run / "submission.csv", index=False
    )
    return run


@pytest.fixture
def fake_kaggle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A recording `kaggle` first on PATH, and credentials in the environment; returns its log."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "kaggle"
    exe.write_text(FAKE_KAGGLE)
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    log = tmp_path / "kaggle_calls.jsonl"
    monkeypatch.setenv("PATH", f"{bin_dir}:{__import__('os').environ['PATH']}")
    monkeypatch.setenv("FAKE_KAGGLE_LOG", str(log))
    monkeypatch.setenv("KAGGLE_USERNAME", "someone")
    monkeypatch.setenv("KAGGLE_KEY", "not-a-real-key")
    monkeypatch.delenv("FAKE_KAGGLE_FAIL", raising=False)
    return log


def calls(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_submit_calls_the_client_and_appends_the_record(tmp_path: Path, fake_kaggle: Path) -> None:
    run = write_run(tmp_path)
    first = submit(run, "mlp, 5 folds", competition="toy-comp")
    assert calls(fake_kaggle) == [
        [
            "competitions",
            "submit",
            "-c",
            "toy-comp",
            "-f",
            str(run / "submission.csv"),
            "-m",
            "mlp, 5 folds",
        ]
    ]
    assert "Successfully submitted" in first.client_output
    submit(run, "second try", competition="toy-comp")
    record = pd.read_csv(run / RECORD_FILE, dtype=str)
    assert record["message"].tolist() == ["mlp, 5 folds", "second try"]
    assert record["competition"].tolist() == ["toy-comp", "toy-comp"]
    assert record["cv"].tolist() == ["0.75", "0.75"]
    assert record["metric"].tolist() == ["accuracy", "accuracy"]
    assert record["fingerprint"].str.len().tolist() == [16, 16]
    assert record["time"].str.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").all()
    assert not list(run.glob(".*tmp*"))  # written atomically, nothing left behind


def test_the_slug_comes_from_the_config(tmp_path: Path, fake_kaggle: Path) -> None:
    run = write_run(tmp_path, slug="from-config")
    submit(run, "msg")
    assert calls(fake_kaggle)[0][3] == "from-config"
    submit(run, "msg", competition="from-flag")
    assert calls(fake_kaggle)[1][3] == "from-flag"


def test_no_slug_is_a_clear_config_error(tmp_path: Path, fake_kaggle: Path) -> None:
    run = write_run(tmp_path)
    with pytest.raises(ConfigError, match=r"--competition <slug>.*competition\.kaggle_slug"):
        submit(run, "msg")
    assert calls(fake_kaggle) == []


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ({"id": [10, 11, 12], "label": [0, 1, 1]}, "Wrong row count"),
        ({"id": [10, 11, 12, 99], "label": [0, 1, 1, 0]}, "differs from the sample"),
        ({"id": [10, 11, 12, 13], "label": [0, 1, 2, 0]}, "not known labels"),
        ({"id": [10, 11, 12, 13], "target": [0, 1, 1, 0]}, "Header"),
    ],
)
def test_an_invalid_submission_is_not_sent(
    tmp_path: Path, fake_kaggle: Path, rows: dict[str, list[int]], expected: str
) -> None:
    run = write_run(tmp_path)
    pd.DataFrame(rows).to_csv(run / "submission.csv", index=False)
    with pytest.raises(SubmitError, match=expected):
        submit(run, "msg", competition="toy-comp")
    assert calls(fake_kaggle) == []
    assert not (run / RECORD_FILE).exists()


def test_a_refusal_by_kaggle_is_reported_and_not_recorded(
    tmp_path: Path, fake_kaggle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = write_run(tmp_path)
    monkeypatch.setenv("FAKE_KAGGLE_FAIL", "1")
    with pytest.raises(SubmitError, match=r"failed \(exit 1\): 400 - Bad Request.*has ended"):
        submit(run, "msg", competition="toy-comp")
    assert len(calls(fake_kaggle)) == 1
    assert not (run / RECORD_FILE).exists()


def test_missing_client_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = write_run(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    # nor one beside this Python, and no credentials: the real service is never reached
    monkeypatch.setattr("sys.executable", str(tmp_path / "empty" / "python"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("KAGGLE_USERNAME", "KAGGLE_KEY", "KAGGLE_API_TOKEN", "KAGGLE_CONFIG_DIR"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SubmitError, match=r"kaggle client is not installed.*kagglekit\[kaggle\]"):
        submit(run, "msg", competition="toy-comp")


def test_missing_credentials_are_one_clear_line(
    tmp_path: Path, fake_kaggle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = write_run(tmp_path)
    for name in ("KAGGLE_USERNAME", "KAGGLE_KEY", "KAGGLE_API_TOKEN", "KAGGLE_CONFIG_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    with pytest.raises(SubmitError, match=r"No Kaggle credentials found.*kaggle\.json"):
        submit(run, "msg", competition="toy-comp")
    assert calls(fake_kaggle) == []
    # a kaggle.json in KAGGLE_CONFIG_DIR is enough
    config_dir = tmp_path / "creds"
    config_dir.mkdir()
    (config_dir / "kaggle.json").write_text('{"username": "u", "key": "k"}')
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(config_dir))
    submit(run, "msg", competition="toy-comp")
    assert len(calls(fake_kaggle)) == 1


def test_dry_run_checks_without_sending(tmp_path: Path, fake_kaggle: Path) -> None:
    run = write_run(tmp_path)
    result = submit(run, "msg", competition="toy-comp", dry_run=True)
    assert result.client_output.startswith("kaggle competitions submit -c toy-comp")
    assert calls(fake_kaggle) == []
    assert not (run / RECORD_FILE).exists()


def test_command_line_prints_one_error_line(
    tmp_path: Path,
    fake_kaggle: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = write_run(tmp_path)
    monkeypatch.setenv("FAKE_KAGGLE_FAIL", "1")
    with pytest.raises(SystemExit) as exit_info:
        submit_main([str(run), "-m", "msg", "--competition", "toy-comp"])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("Error: kaggle competitions submit")
    monkeypatch.delenv("FAKE_KAGGLE_FAIL")
    submit_main([str(run), "-m", "msg", "--competition", "toy-comp"])
    out = capsys.readouterr().out
    assert "Submitted" in out and str(run / RECORD_FILE) in out


def test_a_record_that_cannot_be_written_says_the_submission_went_through(
    tmp_path: Path, fake_kaggle: Path
) -> None:
    run = write_run(tmp_path)
    (run / RECORD_FILE).mkdir()  # a folder in the way: the record cannot be written
    with pytest.raises(SubmitError, match=r"Submitted to toy-comp, but .* do not submit again"):
        submit(run, "msg", competition="toy-comp")
    assert len(calls(fake_kaggle)) == 1
