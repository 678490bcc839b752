"""PixelImages: pixel columns -> (n, side, side, channels), scaled on the training fold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kagglekit.data.pixels import PixelImages
from kagglekit.data.preprocessing import NotFittedError


def pixel_frame(pixels: np.ndarray, *, label: bool = True) -> pd.DataFrame:
    frame = pd.DataFrame(pixels, columns=[f"pixel{i}" for i in range(pixels.shape[1])])
    if label:
        frame.insert(0, "label", np.arange(len(frame)) % 10)
    return frame


@pytest.mark.parametrize("side", [8, 28, 5])
def test_a_known_pixel_lands_at_row_and_col(side):
    row, col = side - 2, 3
    pixels = np.zeros((3, side * side))
    pixels[1, row * side + col] = 200.0
    pixels[2, 0] = 50.0
    preprocessor = PixelImages().fit(pixel_frame(pixels))
    images = preprocessor.transform(pixel_frame(pixels))["image"]
    assert images.shape == (3, side, side, 1)
    assert images.dtype == np.float32
    assert images[1, row, col, 0] == 1.0
    assert np.flatnonzero(images[1]).tolist() == [row * side + col]
    assert images[2, 0, 0, 0] == pytest.approx(0.25)
    assert preprocessor.input_specs()["image"].shape == (side, side, 1)
    assert preprocessor.state() == {"side": side, "channels": 1, "divisor": 200.0}


def test_every_pixel_is_in_row_major_order():
    side = 8
    pixels = np.arange(2 * side * side, dtype=float).reshape(2, -1)
    images = PixelImages(scale=1).fit(pixel_frame(pixels)).transform(pixel_frame(pixels))["image"]
    for r in range(side):
        for c in range(side):
            assert images[1, r, c, 0] == pixels[1, r * side + c]


def test_columns_are_ordered_by_number_not_by_text():
    side = 4
    pixels = np.arange(side * side, dtype=float)[None, :]
    frame = pixel_frame(pixels, label=False)
    shuffled = frame[list(reversed(frame.columns))]  # pixel15 ... pixel0; "pixel10" < "pixel2"
    images = PixelImages(scale=1).fit(shuffled).transform(shuffled)["image"]
    assert images[0, :, :, 0].ravel().tolist() == list(range(side * side))


def test_rgb_channels_are_last_within_a_pixel():
    side, channels = 4, 3
    pixels = np.zeros((1, side * side * channels))
    r, c = 2, 1
    base = (r * side + c) * channels
    pixels[0, base : base + 3] = [10.0, 20.0, 30.0]
    preprocessor = PixelImages(channels=3, scale=30).fit(pixel_frame(pixels))
    images = preprocessor.transform(pixel_frame(pixels))["image"]
    assert images.shape == (1, side, side, 3)
    assert images[0, r, c].tolist() == pytest.approx([1 / 3, 2 / 3, 1.0])


def test_scale_max_uses_the_training_folds_max():
    train = pixel_frame(np.array([[0.0, 100.0, 50.0, 25.0]]))
    valid = pixel_frame(np.array([[255.0, 0.0, 0.0, 100.0]]))
    preprocessor = PixelImages(scale="max").fit(train)
    assert preprocessor.state()["divisor"] == 100.0
    images = preprocessor.transform(valid)["image"]
    assert images[0, 0, 0, 0] == pytest.approx(2.55)
    assert images[0, 1, 1, 0] == pytest.approx(1.0)


def test_numeric_scale_divides_by_that_number():
    frame = pixel_frame(np.array([[0.0, 51.0, 102.0, 255.0]]))
    images = PixelImages(scale=255).fit(frame).transform(frame)["image"]
    assert images[0, :, :, 0].ravel().tolist() == pytest.approx([0.0, 0.2, 0.4, 1.0])


def test_all_black_training_images_do_not_divide_by_zero():
    frame = pixel_frame(np.zeros((2, 4)))
    images = PixelImages().fit(frame).transform(frame)["image"]
    assert np.isfinite(images).all()


def test_wrong_number_of_pixel_columns_at_transform_names_the_sizes():
    preprocessor = PixelImages().fit(pixel_frame(np.ones((1, 64))))
    with pytest.raises(ValueError) as info:
        preprocessor.transform(pixel_frame(np.ones((1, 784))))
    message = str(info.value)
    assert "Expected 64 pixel columns (8x8 images)" in message
    assert "found 784 (about 28x28)" in message


@pytest.mark.parametrize("n_columns", [10, 63, 785])
def test_non_square_column_count_raises(n_columns):
    with pytest.raises(ValueError, match=f"{n_columns} pixel columns do not make a square image"):
        PixelImages().fit(pixel_frame(np.ones((1, n_columns))))


def test_column_count_not_divisible_by_channels_raises():
    with pytest.raises(ValueError, match="with 3 channel"):
        PixelImages(channels=3).fit(pixel_frame(np.ones((1, 64))))


def test_side_from_config_must_match():
    with pytest.raises(ValueError, match=r"8x8 \(64 pixel columns\).*side=28"):
        PixelImages(side=28).fit(pixel_frame(np.ones((1, 64))))
    assert PixelImages(side=8).fit(pixel_frame(np.ones((1, 64)))).state()["side"] == 8


def test_gaps_in_pixel_numbering_raise():
    frame = pixel_frame(np.ones((1, 4))).rename(columns={"pixel3": "pixel4"})
    with pytest.raises(KeyError, match="without gaps"):
        PixelImages().fit(frame)


def test_no_pixel_columns_raise_naming_the_prefix():
    frame = pd.DataFrame({"a": [1], "b": [2]})
    with pytest.raises(KeyError, match="px0, px1"):
        PixelImages(prefix="px").fit(frame)


def test_missing_pixel_values_at_transform_name_the_rows():
    preprocessor = PixelImages().fit(pixel_frame(np.ones((3, 4))))
    pixels = np.ones((3, 4))
    pixels[2, 1] = np.nan
    with pytest.raises(ValueError, match=r"missing in row\(s\) \[2\]"):
        preprocessor.transform(pixel_frame(pixels))


def test_transform_before_fit_raises():
    with pytest.raises(NotFittedError):
        PixelImages().transform(pixel_frame(np.ones((1, 4))))
    with pytest.raises(NotFittedError):
        PixelImages().input_specs()


def test_invalid_scale_is_refused():
    with pytest.raises(ValueError, match="scale='min'"):
        PixelImages(scale="min")


def test_custom_prefix_and_input_name():
    frame = pd.DataFrame(np.arange(4.0)[None, :], columns=["px0", "px1", "px2", "px3"])
    preprocessor = PixelImages(prefix="px", input_name="digits").fit(frame)
    assert list(preprocessor.transform(frame)) == ["digits"]
    assert list(preprocessor.input_specs()) == ["digits"]
