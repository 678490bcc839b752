"""fastText (conf/model/fasttext.yaml): a masked average of word and n-gram embeddings."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest
from hydra.utils import instantiate

from kagglekit.data.text import TextSequences
from kagglekit.models.specs import InputSpec, OutputSpec
from tests.conftest import CONF_DIR, Compose

BINARY = [OutputSpec("output", 1, "sigmoid", "binary_crossentropy")]
ROOT = Path(__file__).resolve().parents[2]


def fasttext(compose_cfg: Compose, spec: InputSpec, *overrides: str) -> keras.Model:
    cfg = compose_cfg("model=fasttext", *overrides)
    return instantiate(cfg.model, _convert_="all")(inputs={"text": spec}, outputs=BINARY)


@pytest.mark.parametrize("mode", ["avg", "avgmax"])
def test_padding_ids_do_not_change_a_fasttext_prediction(compose_cfg: Compose, mode: str):
    keras.utils.set_random_seed(0)
    long = fasttext(compose_cfg, InputSpec((9,), "int32", 20, 0), f"model.pooling.mode={mode}")
    short = fasttext(compose_cfg, InputSpec((4,), "int32", 20, 0), f"model.pooling.mode={mode}")
    assert long.get_layer("embedding").mask_zero is True  # no body: the pooling takes the mask
    assert long.name == "fasttext"
    short.set_weights(long.get_weights())
    ids = np.array([[3, 4, 5, 6], [7, 1, 0, 0]], dtype="int32")
    padded = np.concatenate([ids, np.zeros((2, 5), "int32")], axis=1)
    np.testing.assert_allclose(
        long.predict(padded, verbose=0), short.predict(ids, verbose=0), atol=1e-5
    )


def order_reviews(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Every text holds the words "not" and "good" among fillers; it is positive when "not"
    comes right before "good". Words alone cannot tell the classes apart; bigrams can."""
    rng = np.random.default_rng(seed)
    fillers = ["tea", "coffee", "taste", "the", "was", "very", "price", "box"]
    texts, labels = [], []
    for i in range(n):
        words = list(rng.choice(fillers, size=5))
        label = i % 2
        if label:
            at = int(rng.integers(0, 6))
            words[at:at] = ["not", "good"]
        else:
            a, b = sorted(rng.choice(6, size=2, replace=False))
            words.insert(b, "not")  # "good" ... "not", or apart
            words.insert(a, "good")
        texts.append(" ".join(words))
        labels.append(label)
    return pd.DataFrame({"review": texts}), np.array(labels, dtype="float32")


@pytest.mark.parametrize(("ngrams", "bar"), [(2, 0.95), (1, None)])
def test_bigrams_learn_the_word_order_a_bag_of_words_misses(
    compose_cfg: Compose, ngrams: int, bar: float | None
):
    train, y_train = order_reviews(600, seed=0)
    valid, y_valid = order_reviews(200, seed=1)
    features = TextSequences(ngrams=ngrams, min_count=1).fit(train)
    keras.utils.set_random_seed(0)
    model = fasttext(compose_cfg, features.input_specs()["text"], "model.stem.dropout=0.0")
    model.compile(keras.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
    x_train, x_valid = features.transform(train)["text"], features.transform(valid)["text"]
    model.fit(x_train, y_train, epochs=15, batch_size=32, verbose=0)
    accuracy = model.evaluate(x_valid, y_valid, verbose=0)[1]
    if bar is not None:
        assert accuracy >= bar
    else:  # the same bag of words in both classes: about chance
        assert accuracy <= 0.7


BACKEND_SCRIPT = textwrap.dedent(
    """
    import sys
    import keras, numpy as np
    from hydra.utils import instantiate
    from omegaconf import OmegaConf
    from kagglekit.models.specs import InputSpec, OutputSpec
    cfg = OmegaConf.load(sys.argv[1])
    build = instantiate(cfg, _convert_="all")
    binary = [OutputSpec("output", 1, "sigmoid", "binary_crossentropy")]
    keras.utils.set_random_seed(0)
    long = build({"text": InputSpec((9,), "int32", 20, 0)}, binary)
    short = build({"text": InputSpec((4,), "int32", 20, 0)}, binary)
    long.compile("adam", "binary_crossentropy")
    ids = np.random.default_rng(0).integers(1, 20, size=(16, 9)).astype("int32")
    ids[:, 4:] = 0
    history = long.fit(ids, np.arange(16) % 2, epochs=2, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    short.set_weights(long.get_weights())
    np.testing.assert_allclose(
        long.predict(ids, verbose=0), short.predict(ids[:, :4], verbose=0), atol=1e-5
    )
    print("ok", keras.backend.backend())
    """
)


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_fasttext_trains_and_masks_on_other_backends(backend: str):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed")
    env = {**os.environ, "KERAS_BACKEND": backend, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", BACKEND_SCRIPT, str(CONF_DIR / "model" / "fasttext.yaml")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert f"ok {backend}" in proc.stdout
