"""kagglekit.data.state: every preprocessor's fitted state survives the disk (JSON + NPZ, no
pickle) and, loaded into an unfitted instance, transforms exactly as the fitted one."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from kagglekit.data.categorical import CategoricalCodes
from kagglekit.data.images import ImageFiles, ImageFolder
from kagglekit.data.mixed import MixedInputs
from kagglekit.data.pixels import PixelImages
from kagglekit.data.preprocessing import NotFittedError, TabularPreprocessor
from kagglekit.data.sequences import NumericSequences
from kagglekit.data.state import (
    ARRAYS_FILE,
    STATE_FILE,
    PreprocessingStateError,
    has_preprocessing,
    load_preprocessing,
    restorable,
    save_preprocessing,
)
from kagglekit.data.text import TextSequences
from kagglekit.data.tfidf import TfidfFeatures

RNG = np.random.default_rng(0)


def tabular_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    def make(n: int, shift: float) -> pd.DataFrame:
        area = RNG.lognormal(3 + shift, 1.0, n)
        age = RNG.normal(40 + 10 * shift, 9, n)
        age[::7] = np.nan
        town = RNG.choice(["north", "south", "east", "west", None], n)
        return pd.DataFrame(
            {"area": area, "age": age, "town": town, "grade": RNG.integers(1, 4, n)}
        )

    return make(60, 0.0), make(25, 1.5)


def text_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    words = [
        "good",
        "bad",
        "tea",
        "coffee",
        "cake",
        "great",
        "awful",
        "<br",
        "/>",
        "sweet",
        "bitter",
    ]

    def make(n: int) -> pd.DataFrame:
        texts = [" ".join(RNG.choice(words, RNG.integers(0, 9))) for _ in range(n)]
        texts[1] = None  # type: ignore[call-overload]
        return pd.DataFrame({"id": range(n), "review": texts})

    return make(40), make(15)


def pixel_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    def make(n: int, top: int) -> pd.DataFrame:
        return pd.DataFrame(RNG.integers(0, top, (n, 16)), columns=[f"pixel{i}" for i in range(16)])

    return make(30, 17), make(10, 40)


def series_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    def make(n: int, scale: float) -> pd.DataFrame:
        values = RNG.normal(0, scale, (n, 2, 12))
        values[: n // 3, :, 9:] = np.nan  # shorter series
        values[2, 0, 3] = np.nan  # a missing value inside a series
        columns = [f"{c}_t{s}" for c in ("x", "y") for s in range(12)]
        return pd.DataFrame(values.reshape(n, -1), columns=columns)

    return make(20, 1.0), make(8, 5.0)


# name -> (factory of an unfitted preprocessor, (training frame, other frame))
CASES: dict[str, tuple[Callable[[], Any], tuple[pd.DataFrame, pd.DataFrame]]] = {
    "tabular": (
        lambda: TabularPreprocessor(categorical=["town", "grade"], log1p="skewed", clip=3.0),
        tabular_frames(),
    ),
    "tabular_quantile": (
        lambda: TabularPreprocessor(categorical=["town"], scale="quantile", n_quantiles=20),
        tabular_frames(),
    ),
    "categorical": (lambda: CategoricalCodes(columns=["town"], min_count=3), tabular_frames()),
    "pixels": (lambda: PixelImages(scale="max"), pixel_frames()),
    "text": (lambda: TextSequences(column=None, padding="pre", min_count=2), text_frames()),
    "text_id_column": (lambda: TextSequences(column="review"), text_frames()),
    "tfidf": (lambda: TfidfFeatures(column="review", min_df=2, norm="l2"), text_frames()),
    "sequences_standard": (lambda: NumericSequences(scaling="standard"), series_frames()),
    "sequences_series_minmax": (
        lambda: NumericSequences(normalize="series", scaling="minmax", padding="pre"),
        series_frames(),
    ),
    "sequences_max_length": (
        lambda: NumericSequences(max_length=8, truncating="pre", pad_value=-5.0),
        series_frames(),
    ),
    "mixed": (
        lambda: MixedInputs(
            parts={
                "numeric": TabularPreprocessor(
                    categorical=[], numeric=["id"], input_name="numeric"
                ),
                "words": TfidfFeatures(column="review", min_df=1, input_name="words"),
                "tokens": TextSequences(column="review", input_name="tokens"),
            }
        ),
        text_frames(),
    ),
}


def round_trip(folder: Path, make: Callable[[], Any], train: pd.DataFrame) -> tuple[Any, Any]:
    fitted = make().fit(train)
    save_preprocessing(folder, fitted)
    return fitted, load_preprocessing(folder, make)


def assert_same_output(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert list(a) == list(b)
    for name in a:
        assert a[name].dtype == b[name].dtype
        np.testing.assert_array_equal(a[name], b[name])


@pytest.mark.parametrize("case", list(CASES))
def test_restored_state_transforms_like_the_fitted_preprocessor(tmp_path: Path, case: str) -> None:
    make, (train, other) = CASES[case]
    fitted, restored = round_trip(tmp_path, make, train)
    with pytest.raises((NotFittedError, KeyError, TypeError)):
        make().transform(other)  # a fresh instance knows nothing
    assert_same_output(restored.transform(other), fitted.transform(other))
    assert_same_output(restored.transform(train), fitted.transform(train))
    assert restored.input_specs() == fitted.input_specs()
    assert restored.state() == fitted.state()
    # the statistics are the training rows', not refitted on the rows transformed
    refitted = make().fit(other).transform(other)
    assert any(
        v.shape != refitted[k].shape or not np.array_equal(v, refitted[k])
        for k, v in restored.transform(other).items()
    )
    # JSON and NPZ only: the arrays load without pickle
    assert json.loads((tmp_path / STATE_FILE).read_text())["kagglekit_state"]["format"] == 1
    with np.load(tmp_path / ARRAYS_FILE, allow_pickle=False) as arrays:
        assert all(arrays[name].dtype != object for name in arrays.files)


def test_tfidf_keeps_its_idf_in_the_npz(tmp_path: Path) -> None:
    make, (train, _) = CASES["tfidf"]
    fitted, _ = round_trip(tmp_path, make, train)
    with np.load(tmp_path / ARRAYS_FILE, allow_pickle=False) as arrays:
        np.testing.assert_array_equal(arrays["idf"], fitted.state_arrays()["idf"])
    make_mixed, (texts, _) = CASES["mixed"]
    round_trip(tmp_path / "mixed", make_mixed, texts)
    with np.load(tmp_path / "mixed" / ARRAYS_FILE, allow_pickle=False) as arrays:
        assert arrays.files == ["words/idf"]


def write_png(path: Path, value: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.full((6, 6), value, dtype=np.uint8)
    pixels[0, :] = 255 - value  # not shift-invariant: TTA views differ
    Image.fromarray(pixels, mode="L").save(path)


def test_image_folder_round_trip_reads_the_same_views(tmp_path: Path) -> None:
    for i in range(1, 7):
        write_png(tmp_path / ("train" if i <= 4 else "test") / f"{i}.png", 30 * i)
    directories = [str(tmp_path / "train"), str(tmp_path / "test")]

    def make() -> ImageFolder:
        return ImageFolder(
            column="id",
            suffix=".png",
            directories=directories,
            channels=1,
            augment={"shift": 0.2},
            tta="shifts",
        )

    train, test = pd.DataFrame({"id": [1, 2, 3, 4]}), pd.DataFrame({"id": [5, 6]})
    fitted, restored = round_trip(tmp_path / "fold_0", make, train)
    a, b = fitted.transform(test)["image"], restored.transform(test)["image"]
    assert isinstance(b, ImageFiles) and b.size == (6, 6) and b.n_views == 5
    rows = np.arange(len(test))
    for view in range(b.n_views):
        np.testing.assert_array_equal(b.load(rows, view=view), a.load(rows, view=view))
    assert restored.input_specs() == fitted.input_specs()


def test_image_folder_finds_a_moved_test_folder(tmp_path: Path) -> None:
    write_png(tmp_path / "data" / "test" / "5.png", 50)
    restored = ImageFolder(
        column="id", suffix=".png", directories=[str(tmp_path / "gone" / "test")]
    )
    restored.load_state({"size": [6, 6], "channels": 3}, {})
    restored.search_also(tmp_path / "data")
    (path,) = restored.resolve(pd.DataFrame({"id": [5]}))
    assert path == str(tmp_path / "data" / "test" / "5.png")


def test_refusals(tmp_path: Path) -> None:
    make, (train, _) = CASES["tabular"]
    save_preprocessing(tmp_path, make().fit(train))
    with pytest.raises(PreprocessingStateError, match=r"builds a kagglekit\.data\.categorical"):
        load_preprocessing(tmp_path, CategoricalCodes)  # the config's features changed
    (tmp_path / ARRAYS_FILE).unlink()
    assert not has_preprocessing(tmp_path)
    with pytest.raises(PreprocessingStateError, match=r"preprocessing.npz not found"):
        load_preprocessing(tmp_path, make)
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    (legacy / STATE_FILE).write_text(json.dumps(make().fit(train).state()))  # an older run
    (legacy / ARRAYS_FILE).write_bytes(b"")
    assert not has_preprocessing(legacy)
    with pytest.raises(PreprocessingStateError, match="made by an older kagglekit"):
        load_preprocessing(legacy, make)


def test_the_run_directory_names_the_same_files(tmp_path: Path) -> None:
    from kagglekit.inference import INFERENCE_FILE
    from kagglekit.rundir import RunDir

    fold = RunDir(tmp_path).fold(0)
    assert (fold.preprocessing.name, fold.preprocessing_arrays.name) == (STATE_FILE, ARRAYS_FILE)
    assert RunDir(tmp_path).inference.name == INFERENCE_FILE


class OwnFeatures:
    """A user's preprocessor without ``load_state``: recorded, never restored."""

    def fit(self, frame: pd.DataFrame) -> OwnFeatures:
        self.mean = float(frame["area"].mean())
        return self

    def transform(self, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        return {"own": frame[["area"]].to_numpy() - self.mean}

    def input_specs(self) -> dict[str, Any]:
        return {}

    def state(self) -> dict[str, Any]:
        return {"mean": self.mean}


def test_a_preprocessor_without_load_state_is_recorded_but_not_restorable(tmp_path: Path) -> None:
    train, _ = tabular_frames()
    save_preprocessing(tmp_path, OwnFeatures().fit(train))
    assert json.loads((tmp_path / STATE_FILE).read_text()) == {"mean": train["area"].mean()}
    assert not has_preprocessing(tmp_path)
    mixed = MixedInputs(parts={"own": OwnFeatures(), "codes": CategoricalCodes(columns=["town"])})
    assert not restorable(mixed) and restorable(CASES["mixed"][0]())


@pytest.mark.parametrize(
    ("task", "targets", "options"),
    [
        ("binary", {"s": ["no", "yes", "no"]}, {"positive_label": "no"}),
        ("multiclass", {"label": [3, 1, 2, 1]}, {}),
        ("multilabel", {"a": [0, 1, 1], "b": [1, 0, 1]}, {"threshold": 0.3}),
        ("regression", {"price": [1.0, 9.5, 3.0]}, {"transform": "log1p", "heads": "per_target"}),
    ],
)
def test_the_target_encoding_survives_json(task: str, targets: dict, options: dict) -> None:
    from kagglekit.inference import encoding_from_json, encoding_json
    from kagglekit.tasks import make_task

    frame = pd.DataFrame(targets)
    codec = make_task(task, frame, **options)
    restored = encoding_from_json(json.loads(json.dumps(encoding_json(codec))))
    assert restored == codec
    np.testing.assert_array_equal(restored.encode(frame), codec.encode(frame))
