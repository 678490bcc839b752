"""Augmentation: random flips/shifts while training, fixed TTA views."""

from __future__ import annotations

import numpy as np
import pytest

from kagglekit.data.augment import (
    VIEWS,
    ImageAugment,
    apply_view,
    parse_views,
    shift_images,
)


def ramp(n: int = 2, side: int = 4) -> np.ndarray:
    """Images whose pixel (r, c) holds 1 + 10 r + c, so every move is visible."""
    r, c = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    return np.repeat((1 + 10 * r + c)[None, :, :, None], n, axis=0).astype("float32")


def test_shift_moves_pixels_and_fills_the_border_with_zeros():
    images = ramp()
    right = shift_images(images, 0, 1)
    assert (right[:, :, 1:] == images[:, :, :-1]).all() and (right[:, :, 0] == 0).all()
    up = shift_images(images, -1, 0)
    assert (up[:, :-1] == images[:, 1:]).all() and (up[:, -1] == 0).all()
    assert shift_images(images, 0, 0) is images


def test_shift_fill_modes():
    images = ramp()
    edge = shift_images(images, 0, 1, fill="edge")
    assert (edge[:, :, 0] == images[:, :, 0]).all()
    reflect = shift_images(images, 0, 1, fill="reflect")
    assert (reflect[:, :, 0] == images[:, :, 1]).all()


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_every_view_keeps_the_shape(view):
    images = ramp(3, 5)
    out = apply_view(images, view, shift=2)
    assert out.shape == images.shape


def test_flip_views():
    images = ramp()
    np.testing.assert_array_equal(apply_view(images, "hflip"), images[:, :, ::-1])
    np.testing.assert_array_equal(apply_view(images, "vflip"), images[:, ::-1])
    np.testing.assert_array_equal(apply_view(images, "hvflip"), images[:, ::-1, ::-1])
    np.testing.assert_array_equal(apply_view(images, "identity"), images)
    np.testing.assert_array_equal(
        apply_view(images, "shift_left", shift=1)[:, :, :-1], images[:, :, 1:]
    )


def test_parse_views_presets_lists_and_errors():
    assert parse_views(None) == ("identity",)
    assert parse_views("flips") == ("identity", "hflip")
    assert parse_views(["identity", "vflip"]) == ("identity", "vflip")
    with pytest.raises(ValueError, match="Unknown TTA preset 'flip'"):
        parse_views("flip")
    with pytest.raises(ValueError, match=r"Unknown TTA view\(s\) \['rotate'\]"):
        parse_views(["identity", "rotate"])
    with pytest.raises(ValueError, match="twice"):
        parse_views(["hflip", "hflip"])


def test_random_augmentation_is_seeded_and_bounded():
    images = ramp(64, 8)
    augment = ImageAugment(horizontal_flip=True, shift=0.125)  # up to 1 pixel on 8x8
    a = augment(images, np.random.default_rng(1))
    np.testing.assert_array_equal(a, augment(images, np.random.default_rng(1)))
    assert not np.array_equal(a, images)
    candidates = [
        shift_images((images[:1, :, ::-1] if flip else images[:1]), dy, dx)[0]
        for flip in (False, True)
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
    ]
    for image in a:  # the original, maybe flipped, moved by at most one pixel
        assert any(np.array_equal(image, c) for c in candidates)
    assert len({a[i].tobytes() for i in range(len(a))}) > 5  # drawn per image


def test_no_augmentation_returns_the_batch():
    images = ramp()
    assert ImageAugment()(images, np.random.default_rng(0)) is images


def test_augment_options_are_checked():
    with pytest.raises(ValueError, match="shift is a fraction"):
        ImageAugment(shift=0.7)
    with pytest.raises(ValueError, match="Unknown augmentation option"):
        ImageAugment.parse({"rotation": 10})
    assert ImageAugment.parse({"shift": 0.1}) == ImageAugment(shift=0.1)
    assert ImageAugment.parse(None) is None
