"""`kagglekit init`'s guesses on small hand-made competitions (the cases no shipped example has)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kagglekit.competition import Task
from kagglekit.init import InitError, inspect_competition


def write(folder: Path, sep: str = ",", decimal: str = ".", **frames: pd.DataFrame) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        frame.to_csv(folder / f"{name}.csv", index=False, sep=sep, decimal=decimal)
    return folder


def tabular(n: int, rng: np.random.Generator, start: int = 0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": range(start, start + n),
            "x1": rng.normal(size=n),
            "x2": rng.integers(0, 100, size=n),
        }
    )


def test_probability_sample_gives_probabilities_roc_auc_and_the_positive_text_label(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(0)
    train = tabular(200, rng).assign(churn=rng.choice(["stay", "leave"], 200, p=[0.8, 0.2]))
    test = tabular(50, rng, start=200)
    sample = pd.DataFrame({"id": test["id"], "churn": 0.5})
    inference = inspect_competition(
        "churn", write(tmp_path, train=train, test=test, sample_submission=sample)
    )
    assert inference.task.value is Task.BINARY
    assert inference.submission.value == "probability"
    assert inference.metric.value == "roc_auc"
    assert inference.positive_label.value == "leave"  # the rarer class
    assert "rarer" in inference.positive_label.reason


def test_one_probability_column_per_class_maps_columns_to_classes(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    classes = ["Class_1", "Class_2", "Class_3"]
    train = tabular(300, rng).assign(target=rng.choice(classes, 300))
    test = tabular(60, rng, start=300)
    sample = pd.DataFrame({"id": test["id"], **{c: 1 / 3 for c in classes}})
    inference = inspect_competition(
        "otto", write(tmp_path, train=train, test=test, sample_submission=sample)
    )
    assert inference.target.value == ("target",)
    assert inference.task.value is Task.MULTICLASS
    assert inference.submission.value == "probability"
    assert inference.metric.value == "log_loss"
    assert inference.class_columns.value == {c: c for c in classes}


def test_several_01_targets_are_multilabel_with_iterative_stratification(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    train = tabular(200, rng).assign(a=rng.integers(0, 2, 200), b=rng.integers(0, 2, 200))
    test = tabular(40, rng, start=200)
    sample = pd.DataFrame({"id": test["id"], "a": 0.5, "b": 0.5})
    inference = inspect_competition(
        "tags", write(tmp_path, train=train, test=test, sample_submission=sample)
    )
    assert inference.target.value == ("a", "b")
    assert inference.task.value is Task.MULTILABEL
    assert inference.submission.value == "probability"
    assert inference.cv.value == "multilabel_stratified"


def test_group_and_date_columns_are_noticed(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    n = 300
    dates = pd.date_range("2024-01-01", periods=n + 50, freq="D").strftime("%Y-%m-%d")
    train = tabular(n, rng).assign(
        patient_id=rng.integers(0, 30, n), date=dates[:n], y=rng.normal(10, 2, n)
    )
    test = tabular(50, rng, start=n).assign(patient_id=rng.integers(0, 30, 50), date=dates[n:])
    sample = pd.DataFrame({"id": test["id"], "y": 0.0})
    inference = inspect_competition(
        "visits", write(tmp_path, train=train, test=test, sample_submission=sample)
    )
    assert inference.task.value is Task.REGRESSION
    assert inference.metric.value == "rmse"  # not skewed: no log scale
    assert inference.group_column.value == "patient_id"
    assert inference.time_column.value == "date"
    assert "date" in inference.drop_columns.value
    assert inference.cv.value == "timeseries"  # the test rows come after the training rows


def test_group_column_without_time_order_gives_group_folds(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    train = tabular(300, rng).assign(user_id=rng.integers(0, 40, 300), y=rng.integers(0, 2, 300))
    test = tabular(50, rng, start=300).assign(user_id=rng.integers(0, 40, 50))
    sample = pd.DataFrame({"id": test["id"], "y": 0})
    inference = inspect_competition(
        "clicks", write(tmp_path, train=train, test=test, sample_submission=sample)
    )
    assert inference.group_column.value == "user_id"
    assert inference.cv.value == "stratified_group"


def test_semicolons_and_decimal_commas_are_read(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    train = tabular(100, rng).assign(y=rng.normal(size=100))
    test = tabular(20, rng, start=100)
    sample = pd.DataFrame({"id": test["id"], "y": 0.5})
    folder = write(tmp_path, sep=";", decimal=",", train=train, test=test, sample_submission=sample)
    inference = inspect_competition("semi", folder)
    assert inference.sep.value == ";"
    assert inference.decimal.value == ","
    assert inference.task.value is Task.REGRESSION


def test_names_and_tickets_unique_per_row_are_dropped(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    train = tabular(100, rng).assign(
        Name=[f"Smith, Mr. John {i}" for i in range(100)], y=rng.integers(0, 2, 100)
    )
    test = tabular(20, rng, start=100).assign(Name=[f"Doe, Ms. Jane {i}" for i in range(20)])
    sample = pd.DataFrame({"id": test["id"], "y": 0})
    inference = inspect_competition(
        "names", write(tmp_path, train=train, test=test, sample_submission=sample)
    )
    assert inference.drop_columns.value == ("Name",)
    assert "Name" not in inference.features.value.params["categorical"]


def test_metric_override_is_checked_against_the_task(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    train = tabular(100, rng).assign(y=rng.integers(0, 2, 100))
    test = tabular(20, rng, start=100)
    folder = write(
        tmp_path, train=train, test=test, sample_submission=pd.DataFrame({"id": test["id"], "y": 0})
    )
    assert inspect_competition("m", folder, metric="f1").metric.value == "f1"
    with pytest.raises(InitError, match="--metric 'rmse' cannot score a binary task"):
        inspect_competition("m", folder, metric="rmse")
    with pytest.raises(InitError, match="--metric 'acuracy'"):
        inspect_competition("m", folder, metric="acuracy")


def test_a_folder_without_train_csv_says_what_is_missing(tmp_path: Path) -> None:
    write(tmp_path, test=pd.DataFrame({"id": [1]}))
    with pytest.raises(
        InitError, match=r"train\.csv not found \(CSV files there: \['test\.csv'\]\)"
    ):
        inspect_competition("x", tmp_path)
    with pytest.raises(InitError, match="does not exist"):
        inspect_competition("x", tmp_path / "nowhere")


def test_a_target_found_nowhere_asks_for_target(tmp_path: Path) -> None:
    rng = np.random.default_rng(8)
    train = tabular(50, rng).assign(a=1, b=2)
    test = tabular(10, rng, start=50)
    sample = pd.DataFrame({"id": test["id"], "p": 0, "q": 0})
    folder = write(tmp_path, train=train, test=test, sample_submission=sample)
    with pytest.raises(InitError, match="--target COLUMN"):
        inspect_competition("x", folder)
    assert inspect_competition("x", folder, target=("a", "b"), task="regression").target.value == (
        "a",
        "b",
    )


def test_kaggle_digit_recognizer_layout_reads_28x28_8bit_pixels(tmp_path: Path) -> None:
    rng = np.random.default_rng(9)
    pixels = {f"pixel{i}": rng.integers(0, 256, 60) for i in range(784)}
    pixels["pixel0"][0] = 255
    train = pd.DataFrame({"label": np.arange(60) % 10, **pixels})
    test = pd.DataFrame(pixels).head(20)
    sample = pd.DataFrame({"ImageId": range(1, 21), "Label": 0})
    inference = inspect_competition(
        "digit-recognizer", write(tmp_path, train=train, test=test, sample_submission=sample)
    )
    assert inference.id_column.value is None
    assert inference.target.value == ("label",)
    params = inference.features.value.params
    assert params["_target_"] == "kagglekit.data.pixels.PixelImages"
    assert (params["prefix"], params["channels"], params["scale"]) == ("pixel", 1, 255.0)
    assert "28x28 grey" in inference.features.reason
    assert inference.model.value == "cnn"


def test_rgb_photos_of_several_sizes_named_by_a_column_are_resized(tmp_path: Path) -> None:
    from PIL import Image

    rng = np.random.default_rng(10)
    (tmp_path / "train_images").mkdir(parents=True)
    (tmp_path / "test_images").mkdir()
    names = [f"img_{i}.jpg" for i in range(30)]
    for i, name in enumerate(names):
        side = 300 + 10 * (i % 3)
        folder = "train_images" if i < 20 else "test_images"
        pixels = rng.integers(0, 256, (side, side, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(tmp_path / folder / name)
    train = pd.DataFrame({"image_id": names[:20], "label": ["cat", "dog"] * 10})
    test = pd.DataFrame({"image_id": names[20:]})
    sample = pd.DataFrame({"image_id": names[20:], "label": "cat"})
    inference = inspect_competition(
        "pets", write(tmp_path, train=train, test=test, sample_submission=sample)
    )
    params = inference.features.value.params
    assert params["_target_"] == "kagglekit.data.images.ImageFolder"
    assert params["column"] == "image_id" and params["suffix"] == ""
    assert params["directories"] == [
        "${competition.data_dir}/train_images",
        "${competition.data_dir}/test_images",
    ]
    assert (params["size"], params["channels"]) == ([224, 224], 3)
    assert inference.features.value.id_is_feature


def test_every_optional_guess_is_written_as_a_valid_competition_spec(tmp_path: Path) -> None:
    import yaml
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    from kagglekit.init import render_yaml

    rng = np.random.default_rng(11)
    classes = ["Class_1", "Class_2", "Class_3"]
    n = 300
    dates = pd.date_range("2024-01-01", periods=n + 60, freq="D").strftime("%Y-%m-%d")
    train = tabular(n, rng).assign(
        user_id=rng.integers(0, 30, n),
        date=dates[:n],
        Name=[f"Person number {i}" for i in range(n)],
        target=rng.choice(classes, n),
    )
    test = tabular(60, rng, start=n).assign(
        user_id=rng.integers(0, 30, 60), date=dates[n:], Name=[f"P {i}" for i in range(60)]
    )
    sample = pd.DataFrame({"id": test["id"], **{c: 1 / 3 for c in classes}})
    folder = write(tmp_path, train=train, test=test, sample_submission=sample)
    text = render_yaml(inspect_competition("all", folder))
    spec = instantiate(OmegaConf.create(yaml.safe_load(text)).competition)
    assert spec.class_columns == {c: c for c in classes}
    assert spec.group_column == "user_id"
    assert set(spec.drop_columns) == {"date", "Name"}
    assert (spec.task, spec.submission, spec.metric) == ("multiclass", "probability", "log_loss")
    assert "  - override /cv: timeseries" in text
    assert "# 'date' holds dates; the test rows come after the training rows." in text


def test_series_get_minirocket_features_and_a_linear_head_unless_there_are_very_many() -> None:
    from kagglekit.init import kinds

    rng = np.random.default_rng(0)
    wide = pd.DataFrame(rng.normal(size=(30, 40)), columns=[f"t{i}" for i in range(40)])
    few = kinds._wide_series(wide, set())
    assert few is not None and few.model == "rocket_ridge"
    assert few.params["_target_"] == "kagglekit.data.minirocket.MiniRocketFeatures"
    long = pd.DataFrame({"series_id": np.repeat(np.arange(5), 12), "step": np.tile(range(12), 5)})
    long["x"] = rng.normal(size=len(long))
    assert kinds._long_series(long, "series_id", "step", set()).model == "rocket_ridge"
    many = pd.DataFrame(
        np.zeros((kinds.MAX_ROCKET_SERIES + 1, 12)), columns=[f"t{i}" for i in range(12)]
    )
    deep = kinds._wide_series(many, set())
    assert deep is not None and deep.model == "fcn"
    assert deep.params["_target_"] == "kagglekit.data.sequences.NumericSequences"
