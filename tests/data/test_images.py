"""ImageFolder / ImageFiles: image files named in a column, read lazily, resized and scaled."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from kagglekit.data.images import ImageFiles, ImageFolder, read_image
from kagglekit.data.lazy import LazyInput, LoaderOptions
from kagglekit.data.preprocessing import NotFittedError
from kagglekit.files import write_json


def write_png(path: Path, pixels: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "L" if pixels.ndim == 2 else "RGB"
    Image.fromarray(pixels.astype(np.uint8), mode=mode).save(path)
    return path


@pytest.fixture
def folders(tmp_path: Path) -> Path:
    """train/1.png..4.png and test/5.png, 6.png: 8x8 grey, image i filled with 10*i."""
    for i in range(1, 7):
        folder = "train" if i <= 4 else "test"
        write_png(tmp_path / folder / f"{i}.png", np.full((8, 8), 10 * i))
    return tmp_path


def folder(root: Path, **kwargs) -> ImageFolder:
    options = {
        "column": "id",
        "suffix": ".png",
        "directories": [str(root / "train"), str(root / "test")],
        "channels": 1,
    }
    return ImageFolder(**{**options, **kwargs})


def test_transform_returns_a_lazy_input_that_reads_scaled_images(folders):
    train = pd.DataFrame({"id": [1, 2, 3, 4]})
    pre = folder(folders).fit(train)
    files = pre.transform(train)["image"]
    assert isinstance(files, ImageFiles) and isinstance(files, LazyInput)
    assert len(files) == 4 and files.n_views == 1
    images = files.load(np.array([2, 0]))
    assert images.shape == (2, 8, 8, 1) and images.dtype == np.float32
    np.testing.assert_allclose(images[:, 0, 0, 0], [30 / 255, 10 / 255], rtol=1e-6)
    assert pre.input_specs()["image"].shape == (8, 8, 1)
    # test rows are found in the second folder
    test = pre.transform(pd.DataFrame({"id": [6, 5]}))["image"]
    np.testing.assert_allclose(test.load(np.arange(2))[:, 0, 0, 0], [60 / 255, 50 / 255])


def test_take_restricts_rows_without_reading(folders):
    pre = folder(folders).fit(pd.DataFrame({"id": [1, 2, 3, 4]}))
    files = pre.transform(pd.DataFrame({"id": [1, 2, 3, 4]}))["image"]
    subset = files.take(np.array([3, 1]))
    assert len(subset) == 2
    np.testing.assert_allclose(subset.load(np.arange(2))[:, 0, 0, 0] * 255, [40, 20], rtol=1e-5)


def test_images_are_resized_and_converted(tmp_path):
    write_png(tmp_path / "a.png", np.zeros((20, 10)))
    rgb = np.zeros((6, 6, 3))
    rgb[..., 0] = 255
    write_png(tmp_path / "b.png", rgb)
    frame = pd.DataFrame({"file": ["a.png", "b.png"]})
    pre = ImageFolder(column="file", directories=str(tmp_path), size=[12, 16], channels=3)
    images = pre.fit(frame).transform(frame)["image"].load(np.arange(2))
    assert images.shape == (2, 12, 16, 3)
    np.testing.assert_allclose(images[1, 3, 3], [1.0, 0.0, 0.0])
    grey = read_image(tmp_path / "b.png", (4, 4), 1)
    assert grey.shape == (4, 4, 1) and 0 < grey.max() < 255  # red becomes a grey level


def test_size_defaults_to_the_first_training_image(tmp_path):
    write_png(tmp_path / "a.png", np.zeros((5, 7)))
    frame = pd.DataFrame({"file": ["a.png"]})
    pre = ImageFolder(column="file", directories=str(tmp_path), channels=1).fit(frame)
    assert pre.input_specs()["image"].shape == (5, 7, 1)


def test_missing_files_are_named_with_the_folders_searched(folders):
    pre = folder(folders)
    with pytest.raises(FileNotFoundError, match=r"2 image file\(s\).*\['7.png', '8.png'\]"):
        pre.fit(pd.DataFrame({"id": [1, 7, 8]}))
    no_suffix = folder(folders, suffix="")
    with pytest.raises(FileNotFoundError, match="set `suffix`"):
        no_suffix.fit(pd.DataFrame({"id": [1]}))
    with pytest.raises(KeyError, match="id_is_feature"):
        pre.fit(pd.DataFrame({"name": [1]}))


def test_options_are_checked():
    with pytest.raises(ValueError, match="channels must be 1, 3 or 4"):
        ImageFolder(column="x", channels=2)
    with pytest.raises(ValueError, match="size must be"):
        ImageFolder(column="x", size=[8])
    with pytest.raises(ValueError, match="Unknown TTA preset"):
        ImageFolder(column="x", tta="mirror")
    with pytest.raises(NotFittedError):
        ImageFolder(column="x").transform(pd.DataFrame({"x": ["a.png"]}))


def test_tta_views_and_augmentation_reach_the_files(folders):
    frame = pd.DataFrame({"id": [1, 2, 3, 4]})
    pre = folder(folders, tta="flips", augment={"shift": 0.25}, workers=3).fit(frame)
    files = pre.transform(frame)["image"]
    assert files.n_views == 2 and files.views == ("identity", "hflip")
    assert files.loader == LoaderOptions(workers=3)
    plain = files.load(np.arange(4))
    moved = files.load(np.arange(4), rng=np.random.default_rng(0))
    assert plain.shape == moved.shape
    with pytest.raises(IndexError, match="TTA view 2"):
        files.load(np.arange(1), view=2)


def test_state_is_json_and_files_pickle(folders, tmp_path):
    frame = pd.DataFrame({"id": [1, 2]})
    pre = folder(folders, augment={"horizontal_flip": True}).fit(frame)
    state = pre.state()
    write_json(tmp_path / "state.json", state)
    assert state["size"] == [8, 8] and state["augment"]["horizontal_flip"] is True
    files = pre.transform(frame)["image"]
    clone = pickle.loads(pickle.dumps(files))  # worker processes receive a copy
    np.testing.assert_array_equal(clone.load(np.arange(2)), files.load(np.arange(2)))


def test_cache_reads_each_file_once(folders, monkeypatch):
    import kagglekit.data.images as images

    frame = pd.DataFrame({"id": [1, 2]})
    files = folder(folders, cache=True).fit(frame).transform(frame)["image"]
    first = files.load(np.arange(2))
    monkeypatch.setattr(images.keras.utils, "load_img", lambda *a, **k: 1 / 0)
    np.testing.assert_array_equal(files.load(np.arange(2)), first)
