"""Losses: NumPy references, the Lovász hinge against its definition, the weight-map
cross-entropy, finite gradients, and save/load of compiled models on any backend."""

import math
import re
from pathlib import Path

import keras
import numpy as np
import pytest

from sprint19_unet.training import losses

from sprint19_unet.training import metrics
from sprint19_unet.errors import Sprint19Error

# CI runs this file again on JAX and PyTorch and on the colab and minimum stacks (.ci/run: -m backend_neutral)
pytestmark = pytest.mark.backend_neutral

to_numpy = keras.ops.convert_to_numpy
EPS = 1e-7


def random_binary(seed=0, shape=(4, 6, 6, 1)):
    rng = np.random.default_rng(seed)
    truth = (rng.random(shape) < rng.uniform(0.1, 0.7, size=(shape[0],) + (1,) * (len(shape) - 1))).astype("float32")
    truth[0] = 0.0  # one empty mask
    probabilities = rng.uniform(0.02, 0.98, size=shape).astype("float32")
    return truth, probabilities


def logit(p):
    return np.log(p) - np.log1p(-p)


# === NumPy references ===


def numpy_bce(y, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def numpy_dice_loss(y, p, smooth=1.0):
    y, p = y.reshape(len(y), -1), p.reshape(len(p), -1)
    return 1 - (2 * (y * p).sum(1) + smooth) / (y.sum(1) + p.sum(1) + smooth)


def numpy_focal(y, p, gamma, alpha):
    p = np.clip(p, EPS, 1 - EPS)
    p_t = np.where(y == 1, p, 1 - p)
    alpha_t = 1.0 if alpha is None else np.where(y == 1, alpha, 1 - alpha)
    return -alpha_t * (1 - p_t) ** gamma * np.log(p_t)


def jaccard_loss_of_set(truth: set, mispredicted: set) -> float:
    """Δ_J(M) = |M| / |T ∪ M| (Berman et al., Eq. 3), 0 for an empty union."""
    union = truth | mispredicted
    return len(mispredicted) / len(union) if union else 0.0


def numpy_lovasz_hinge(labels, logits):
    """The Lovász extension written out: sort the errors, Δ_J of every prefix set by set counting."""
    values = []
    for y, z in zip(labels.reshape(len(labels), -1), logits.reshape(len(logits), -1)):
        errors = 1.0 - z * (2 * y - 1)
        order = sorted(range(len(errors)), key=lambda i: -errors[i])
        truth = {i for i in range(len(y)) if y[i] == 1}
        total, previous = 0.0, 0.0
        for n in range(1, len(order) + 1):
            current = jaccard_loss_of_set(truth, set(order[:n]))
            total += max(errors[order[n - 1]], 0.0) * (current - previous)
            previous = current
        values.append(total)
    return np.array(values)


def test_binary_crossentropy_matches_numpy():
    truth, probabilities = random_binary(1)
    actual = to_numpy(losses.binary_crossentropy(truth, probabilities))
    assert actual.shape == truth.shape[:-1]
    np.testing.assert_allclose(actual, numpy_bce(truth, probabilities)[..., 0], rtol=1e-5)
    np.testing.assert_allclose(
        to_numpy(losses.binary_crossentropy(truth, logit(probabilities), from_logits=True)), actual, rtol=1e-4
    )


def test_dice_and_bce_dice_match_numpy():
    truth, probabilities = random_binary(2)
    dice = to_numpy(losses.dice_loss(truth, probabilities))
    np.testing.assert_allclose(dice, numpy_dice_loss(truth, probabilities), rtol=1e-5)
    from_logits = losses.dice_loss(truth, logit(probabilities), from_logits=True)
    np.testing.assert_allclose(to_numpy(from_logits), dice, rtol=1e-4)
    expected = 0.5 * numpy_bce(truth, probabilities).mean(axis=(1, 2, 3)) + 2.0 * numpy_dice_loss(truth, probabilities)
    actual = losses.bce_dice_loss(truth, probabilities, bce_weight=0.5, dice_weight=2.0)
    np.testing.assert_allclose(to_numpy(actual), expected, rtol=1e-5)
    # empty truth and empty prediction: no Dice penalty thanks to smooth
    assert to_numpy(losses.dice_loss(np.zeros((1, 3, 3, 1)), np.zeros((1, 3, 3, 1))))[0] == pytest.approx(0.0)


@pytest.mark.parametrize("gamma, alpha", [(2.0, 0.25), (0.5, None), (0.0, None), (3.0, 0.8)])
def test_focal_loss_matches_numpy_and_keras(gamma, alpha):
    truth, probabilities = random_binary(3)
    expected = numpy_focal(truth, probabilities, gamma, alpha)[..., 0]
    actual = to_numpy(losses.binary_focal_loss(truth, probabilities, gamma=gamma, alpha=alpha))
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-7)
    from_logits = losses.binary_focal_loss(truth, logit(probabilities), gamma=gamma, alpha=alpha, from_logits=True)
    np.testing.assert_allclose(to_numpy(from_logits), expected, rtol=1e-4, atol=1e-6)
    keras_focal = keras.losses.binary_focal_crossentropy(
        truth, probabilities, apply_class_balancing=alpha is not None, alpha=alpha or 0.25, gamma=gamma
    )
    np.testing.assert_allclose(actual, to_numpy(keras_focal), rtol=1e-4, atol=1e-6)
    if gamma == 0.0 and alpha is None:  # plain cross-entropy
        np.testing.assert_allclose(actual, numpy_bce(truth, probabilities)[..., 0], rtol=1e-5)


def test_lovasz_hinge_matches_the_lovasz_extension():
    truth, probabilities = random_binary(4)
    logits = np.random.default_rng(4).normal(scale=2.0, size=truth.shape).astype("float32")
    expected = numpy_lovasz_hinge(truth, logits)
    actual = losses.lovasz_hinge(truth, logits, from_logits=True)
    np.testing.assert_allclose(to_numpy(actual), expected, rtol=1e-5, atol=1e-6)
    # on probabilities the logits are recovered first
    np.testing.assert_allclose(
        to_numpy(losses.lovasz_hinge(truth, probabilities)), numpy_lovasz_hinge(truth, logit(probabilities)), rtol=1e-4
    )


def test_lovasz_hinge_on_binary_errors_is_the_jaccard_loss():
    # logits z = s·(1 − m) make the hinge errors exactly m ∈ {0, 1}; the Lovász extension
    # then equals the set function: |M| / |T ∪ M| = 1 − IoU of the thresholded prediction.
    rng = np.random.default_rng(5)
    for _ in range(10):
        truth = (rng.random((1, 25)) < 0.4).astype("float32")
        mispredicted = (rng.random((1, 25)) < 0.3).astype("float32")
        logits = (2 * truth - 1) * (1 - mispredicted)
        expected = jaccard_loss_of_set(set(np.flatnonzero(truth)), set(np.flatnonzero(mispredicted)))
        assert to_numpy(losses.lovasz_hinge(truth, logits, from_logits=True))[0] == pytest.approx(expected, abs=1e-6)


# Losses with their own keras.ops formula for PyTorch: "as_torch" runs that formula on the active backend.
AS_TORCH = pytest.mark.parametrize("as_torch", [False, True], ids=["keras", "torch_formula"])


def _use_torch_formula(monkeypatch, as_torch):
    if as_torch:
        monkeypatch.setattr(keras.backend, "backend", lambda: "torch")


@AS_TORCH
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_binary_crossentropy_matches_numpy_and_keras(label_smoothing, as_torch, monkeypatch):
    _use_torch_formula(monkeypatch, as_torch)
    truth, probabilities = random_binary(13)
    smoothed = truth * (1 - label_smoothing) + 0.5 * label_smoothing
    expected = numpy_bce(smoothed, probabilities)[..., 0]
    ours = losses.binary_crossentropy(truth, probabilities, label_smoothing=label_smoothing)
    np.testing.assert_allclose(to_numpy(ours), expected, rtol=1e-5, atol=1e-6)
    loss = losses.get_loss("bce", label_smoothing=label_smoothing)
    assert isinstance(loss, losses.BinaryCrossentropy)
    assert float(loss(truth, probabilities)) == pytest.approx(
        float(keras.losses.BinaryCrossentropy(label_smoothing=label_smoothing)(truth, probabilities)), rel=1e-5
    )


@AS_TORCH
@pytest.mark.parametrize("name", ["bce", "bce_dice", "weighted_cce"])
def test_a_nan_prediction_gives_a_nan_loss_not_an_exception(name, as_torch, monkeypatch):
    _use_torch_formula(monkeypatch, as_torch)
    # the training's NaN guard needs a NaN to see; PyTorch's own binary_cross_entropy raises instead
    truth, probabilities = random_binary(14)
    probabilities[0, 0, 0, 0] = np.nan
    assert np.isnan(float(losses.get_loss(name)(truth, probabilities)))


def numpy_sparse_cce(classes, probabilities):
    """−log p[label] per pixel, p renormalised and clipped as Keras does; an independent reference."""
    p = probabilities / probabilities.sum(axis=-1, keepdims=True)
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return -np.log(np.take_along_axis(p, classes[..., None], axis=-1))[..., 0]


@AS_TORCH
def test_sparse_categorical_crossentropy_matches_numpy_and_keras(as_torch, monkeypatch):
    _use_torch_formula(monkeypatch, as_torch)
    rng = np.random.default_rng(12)
    classes = rng.integers(0, 4, size=(3, 5, 5))
    softmax = rng.dirichlet(np.ones(4), size=(3, 5, 5)).astype("float32")
    expected = numpy_sparse_cce(classes, softmax)
    np.testing.assert_allclose(to_numpy(losses.sparse_categorical_crossentropy(classes, softmax)), expected, rtol=1e-5)
    # labels with a channel axis, as masks come from the loaders
    np.testing.assert_allclose(
        to_numpy(losses.sparse_categorical_crossentropy(classes[..., None].astype("float32"), softmax)),
        expected, rtol=1e-5,
    )
    # logits: −log_softmax(z)[label]
    logits = rng.normal(scale=3.0, size=softmax.shape).astype("float32")
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    np.testing.assert_allclose(
        to_numpy(losses.sparse_categorical_crossentropy(classes, logits, from_logits=True)),
        -np.take_along_axis(log_softmax, classes[..., None], axis=-1)[..., 0], rtol=1e-5, atol=1e-6,
    )
    # the loss class averages the pixels, with the same value as Keras's own class
    ours = losses.get_loss("sparse_cce")
    assert isinstance(ours, losses.SparseCategoricalCrossentropy)
    assert float(ours(classes, softmax)) == pytest.approx(expected.mean(), rel=1e-5)
    assert float(ours(classes, softmax)) == pytest.approx(
        float(keras.losses.SparseCategoricalCrossentropy()(classes, softmax)), rel=1e-5
    )


def test_sparse_categorical_crossentropy_refuses_one_hot_labels():
    one_hot = np.eye(3, dtype="float32")[np.zeros((1, 2, 2), dtype=int)]
    with pytest.raises(Sprint19Error, match=r"y_true: expected class indices .*received shape \(1, 2, 2, 3\).*argmax"):
        losses.sparse_categorical_crossentropy(one_hot, one_hot)


# === Backend-neutral gradients ===


def gradient(loss_fn, y_true, y_pred):
    """d sum(loss) / d y_pred with the active backend's autodiff."""
    backend = keras.backend.backend()
    y_true = keras.ops.convert_to_tensor(y_true)
    if backend == "tensorflow":
        import tensorflow as tf

        variable = tf.Variable(y_pred)
        with tf.GradientTape() as tape:
            value = keras.ops.sum(loss_fn(y_true, variable))
        return to_numpy(tape.gradient(value, variable))
    if backend == "jax":
        import jax

        return np.asarray(jax.grad(lambda x: keras.ops.sum(loss_fn(y_true, x)))(keras.ops.convert_to_tensor(y_pred)))
    if backend == "torch":
        import torch

        tensor = torch.tensor(y_pred, requires_grad=True)
        keras.ops.sum(loss_fn(y_true, tensor)).backward()
        return tensor.grad.cpu().numpy()
    pytest.skip(f"no autodiff helper for backend {backend!r}")


def test_lovasz_gradient_matches_the_analytic_one():
    truth, _ = random_binary(6, shape=(3, 5, 5, 1))
    logits = np.random.default_rng(6).normal(size=truth.shape).astype("float32")
    actual = gradient(lambda y, z: losses.lovasz_hinge(y, z, from_logits=True), truth, logits)
    expected = np.zeros_like(logits)
    for image in range(len(truth)):
        y, z = truth[image].ravel(), logits[image].ravel()
        signs = 2 * y - 1
        errors = 1 - z * signs
        order = np.argsort(-errors)
        g, cumulative_true, cumulative_false = y.sum(), np.cumsum(y[order]), np.cumsum(1 - y[order])
        jaccard = 1 - (g - cumulative_true) / (g + cumulative_false)
        weights = np.diff(jaccard, prepend=0.0)
        grad = np.zeros_like(z)
        grad[order] = -signs[order] * weights * (errors[order] > 0)
        expected[image] = grad.reshape(truth[image].shape)
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


BINARY_NAMES = ["bce", "dice", "bce_dice", "focal", "lovasz", "weighted_cce"]


@pytest.mark.parametrize("name", BINARY_NAMES + ["sparse_cce", "weighted_cce_softmax"])
def test_gradients_are_finite_even_at_0_and_1(name):
    rng = np.random.default_rng(7)
    if name in ("sparse_cce", "weighted_cce_softmax"):
        classes = rng.integers(0, 3, size=(2, 4, 4))
        y_pred = np.eye(3, dtype="float32")[rng.integers(0, 3, size=(2, 4, 4))]  # hard 0/1 "probabilities"
        y_pred[:, 0] = 1 / 3
        y_true = classes[..., None].astype("float32")
        loss = losses.get_loss("sparse_cce" if name == "sparse_cce" else "weighted_cce")
    else:
        y_true, y_pred = random_binary(7, shape=(2, 4, 4, 1))
        y_pred[:, 0] = 0.0
        y_pred[:, 1] = 1.0
        loss = losses.get_loss(name)
    weights = np.full(y_true.shape[:-1], 2.0, "float32") if name.startswith("weighted") else None
    grads = gradient(lambda t, p: loss(t, p, sample_weight=weights), y_true, y_pred)
    assert np.all(np.isfinite(grads))
    assert np.any(grads != 0)


# === Perfect predictions cost (almost) nothing; worse ones cost more ===


@pytest.mark.parametrize("name", BINARY_NAMES)
def test_binary_losses_grow_as_predictions_get_worse(name):
    truth, _ = random_binary(8)
    perfect = truth * 0.9998 + 0.0001
    noisy = np.where(truth == 1, 0.7, 0.3).astype("float32")
    inverted = 1.0 - perfect
    loss = losses.get_loss(name)
    values = [float(to_numpy(loss(truth, p))) for p in (perfect, noisy, inverted)]
    assert values[0] < 0.01
    assert values[0] < values[1] < values[2]


@pytest.mark.parametrize("name", ["sparse_cce", "weighted_cce"])
def test_softmax_losses_grow_as_predictions_get_worse(name):
    classes = np.random.default_rng(9).integers(0, 3, size=(2, 5, 5))
    one_hot = np.eye(3, dtype="float32")[classes]
    perfect, noisy, wrong = one_hot * 0.998 + 0.001, one_hot * 0.4 + 0.2, np.roll(one_hot, 1, axis=-1) * 0.998 + 0.001
    y_true = classes[..., None].astype("float32")
    loss = losses.get_loss(name)
    values = [float(to_numpy(loss(y_true, p))) for p in (perfect, noisy, wrong)]
    assert values[0] < 0.01 and values[0] < values[1] < values[2]


# === The paper's weight-map cross-entropy ===


def test_weighted_crossentropy_without_weights_is_plain_crossentropy():
    truth, probabilities = random_binary(10)
    np.testing.assert_allclose(
        to_numpy(losses.weighted_crossentropy(truth, probabilities)), numpy_bce(truth, probabilities)[..., 0], rtol=1e-5
    )
    assert float(losses.WeightedCrossentropy()(truth, probabilities)) == pytest.approx(
        float(keras.losses.BinaryCrossentropy()(truth, probabilities)), rel=1e-5
    )

    rng = np.random.default_rng(10)
    classes = rng.integers(0, 4, size=(3, 5, 5))
    softmax = rng.dirichlet(np.ones(4), size=(3, 5, 5)).astype("float32")
    assert float(losses.WeightedCrossentropy()(classes[..., None].astype("float32"), softmax)) == pytest.approx(
        float(keras.losses.SparseCategoricalCrossentropy()(classes, softmax)), rel=1e-5
    )


def test_sample_weights_scale_each_pixel():
    truth, probabilities = random_binary(11)
    weights = np.random.default_rng(11).uniform(0.5, 12.0, size=truth.shape[:-1]).astype("float32")
    expected = weights * numpy_bce(truth, probabilities)[..., 0]
    loss = losses.WeightedCrossentropy()
    assert float(loss(truth, probabilities, sample_weight=weights)) == pytest.approx(expected.mean(), rel=1e-5)


def test_weighted_crossentropy_rejects_one_hot_labels():
    with pytest.raises(Sprint19Error, match="y_true"):
        losses.weighted_crossentropy(np.zeros((1, 3, 3, 4)), np.full((1, 3, 3, 4), 0.25))


# === get_loss and argument errors ===


def test_get_loss_knows_every_name_and_lists_them_on_error():
    for name in losses.LOSSES:
        assert isinstance(losses.get_loss(name), keras.losses.Loss)
    assert losses.get_loss("focal", gamma=1.5, alpha=None).get_config()["alpha"] is None
    with pytest.raises(Sprint19Error, match=r"name.*'bce'.*'dice'.*'lovasz'.*'weighted_cce'"):
        losses.get_loss("jaccard")
    with pytest.raises(Sprint19Error, match="focal"):
        losses.get_loss("focal", beta=2.0)


@pytest.mark.parametrize(
    "build, argument",
    [
        (lambda: losses.BinaryFocalLoss(gamma=-1.0), "gamma"),
        (lambda: losses.BinaryFocalLoss(alpha=1.5), "alpha"),
        (lambda: losses.DiceLoss(smooth=-1.0), "smooth"),
        (lambda: losses.BCEDiceLoss(dice_weight="1"), "dice_weight"),
    ],
)
def test_bad_loss_arguments_are_named(build, argument):
    with pytest.raises(Sprint19Error, match=argument):
        build()


@pytest.mark.parametrize(
    "loss",
    [
        losses.DiceLoss(smooth=0.5, from_logits=True),
        losses.BCEDiceLoss(bce_weight=0.3, dice_weight=0.7, smooth=2.0),
        losses.BinaryFocalLoss(gamma=1.0, alpha=None, reduction="sum"),
        losses.LovaszHinge(from_logits=True, name="lovasz"),
        losses.WeightedCrossentropy(from_logits=True),
    ],
    ids=lambda loss: type(loss).__name__,
)
def test_loss_classes_round_trip_through_config(loss):
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss))
    assert type(restored) is type(loss)
    assert restored.get_config() == loss.get_config()


def test_losses_and_metrics_use_keras_ops_only():
    package = Path(losses.__file__).parent
    for module in ("losses.py", "metrics.py"):
        source = (package / module).read_text()
        assert not re.search(r"^\s*(import|from)\s+(tensorflow|torch|jax)\b", source, flags=re.MULTILINE), module
        assert not re.search(r"\btf\.[a-z_]+\(|keras\.src|Lambda\(", source), module
        assert "print(" not in source, module


# === Compile, fit, save, load: no custom_objects, same numbers ===


def tiny_model(channels):
    inputs = keras.Input((8, 8, 1))
    activation = "sigmoid" if channels == 1 else "softmax"
    outputs = keras.layers.Conv2D(channels, 3, padding="same", activation=activation)(inputs)
    return keras.Model(inputs, outputs)


def tiny_data(channels):
    rng = np.random.default_rng(12)
    images = rng.random((8, 8, 8, 1)).astype("float32")
    if channels == 1:
        labels = (images > 0.5).astype("float32")
    else:
        labels = np.digitize(images, [0.33, 0.66]).astype("float32")
    weights = rng.uniform(1.0, 11.0, size=labels.shape[:-1]).astype("float32")  # used by weighted_cce only
    return images, labels, weights


BINARY_METRICS = lambda: [  # noqa: E731 - fresh metric objects for every model
    metrics.ThresholdedIoU(),
    metrics.Dice(),
    metrics.TgsScore(),
    metrics.iou_score,
    metrics.dice_coefficient,
    metrics.tgs_image_score,
]
SOFTMAX_METRICS = lambda: [metrics.mean_iou, metrics.mean_dice, metrics.pixel_accuracy]  # noqa: E731

ONLY_TGS = lambda: [metrics.TgsScore()]  # noqa: E731 - fewer metrics compile faster

ROUND_TRIPS = [
    pytest.param(lambda: losses.get_loss("bce"), 1, False, BINARY_METRICS, id="bce"),
] + [
    pytest.param(lambda name=name: losses.get_loss(name), 1, False, ONLY_TGS, id=name)
    for name in ("dice", "bce_dice", "focal", "lovasz")
] + [
    pytest.param(lambda: losses.dice_loss, 1, False, ONLY_TGS, id="dice_loss-function"),
    pytest.param(lambda: losses.get_loss("sparse_cce"), 3, False, SOFTMAX_METRICS, id="sparse_cce"),
    pytest.param(lambda: losses.get_loss("weighted_cce"), 1, True, BINARY_METRICS, id="weighted_cce-sigmoid"),
    pytest.param(lambda: losses.get_loss("weighted_cce"), 3, True, list, id="weighted_cce-softmax"),
    pytest.param(lambda: losses.get_loss("tversky", alpha=0.7, beta=0.3), 1, False, ONLY_TGS, id="tversky"),
]


@pytest.mark.slow
@pytest.mark.parametrize("make_loss, channels, weighted, make_metrics", ROUND_TRIPS)
def test_fit_save_load_round_trip(tmp_path, make_loss, channels, weighted, make_metrics):
    images, labels, weights = tiny_data(channels)
    weights = weights if weighted else None
    model = tiny_model(channels)
    model.compile(optimizer="adam", loss=make_loss(), metrics=make_metrics())
    history = model.fit(images, labels, sample_weight=weights, batch_size=4, epochs=1, verbose=0)
    assert all(math.isfinite(v) for v in history.history["loss"])
    assert all(np.all(np.isfinite(to_numpy(w))) for w in model.weights)

    before = model.evaluate(images, labels, sample_weight=weights, batch_size=8, verbose=0, return_dict=True)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")  # no custom_objects
    after = loaded.evaluate(images, labels, sample_weight=weights, batch_size=8, verbose=0, return_dict=True)
    assert set(after) == set(before)
    for key in before:
        assert after[key] == pytest.approx(before[key], rel=1e-5, abs=1e-6), key


def test_round_trip_cases_cover_every_loss_name():
    ids = {param.id.split("-")[0] for param in ROUND_TRIPS}
    assert set(losses.LOSSES) <= ids


# === Tversky: an independent NumPy reference, the Dice special case, options that survive saving ===


def _tversky_reference(y, p, alpha, beta, smooth):
    y, p = y.reshape(len(y), -1).astype(float), p.reshape(len(p), -1).astype(float)
    tp, fp, fn = (y * p).sum(1), ((1 - y) * p).sum(1), (y * (1 - p)).sum(1)
    return 1 - (tp + smooth) / (tp + alpha * fp + beta * fn + smooth)


@pytest.mark.parametrize("alpha, beta, smooth", [(0.3, 0.7, 1.0), (0.7, 0.3, 0.0), (1.0, 1.0, 0.5), (0.0, 2.0, 1.0)])
def test_tversky_matches_a_numpy_reference(alpha, beta, smooth):
    rng = np.random.default_rng(7)
    y = (rng.random((3, 6, 5, 1)) > 0.6).astype("float32")
    p = rng.random((3, 6, 5, 1)).astype("float32")
    got = to_numpy(losses.tversky_loss(y, p, alpha, beta, smooth))
    np.testing.assert_allclose(got, _tversky_reference(y, p, alpha, beta, smooth), rtol=1e-5, atol=1e-6)
    loss = losses.get_loss("tversky", alpha=alpha, beta=beta, smooth=smooth)
    assert float(loss(y, p)) == pytest.approx(_tversky_reference(y, p, alpha, beta, smooth).mean(), rel=1e-5)


def test_tversky_at_one_half_is_the_dice_loss_with_twice_the_smoothing():
    rng = np.random.default_rng(3)
    y, p = (rng.random((2, 8, 8, 1)) > 0.5).astype("float32"), rng.random((2, 8, 8, 1)).astype("float32")
    np.testing.assert_allclose(to_numpy(losses.tversky_loss(y, p, 0.5, 0.5, smooth=1.0)),
                               to_numpy(losses.dice_loss(y, p, smooth=2.0)), rtol=1e-5)


def test_tversky_weighs_false_negatives_by_beta():
    y = np.array([[1.0, 1.0, 1.0, 0.0]])
    missed_one = np.array([[1.0, 1.0, 0.0, 0.0]])  # TP 2, FN 1
    assert float(losses.tversky_loss(y, missed_one, 0.3, 0.7, 0.0)[0]) == pytest.approx(1 - 2 / 2.7)
    assert float(losses.tversky_loss(y, missed_one, 0.7, 0.3, 0.0)[0]) == pytest.approx(1 - 2 / 2.3)


@pytest.mark.parametrize("options, message", [
    ({"alpha": -0.1}, "alpha.*finite number >= 0"), ({"beta": float("nan")}, "beta.*finite number >= 0"),
    ({"alpha": 0, "beta": 0}, "not both 0"), ({"gamma": 2}, "options of loss 'tversky'.*received gamma"),
])
def test_bad_tversky_options_are_one_line(options, message):
    with pytest.raises(Sprint19Error, match=message):
        losses.get_loss("tversky", **options)


def test_a_saved_model_keeps_its_losss_options(tmp_path):
    model = tiny_model(1)
    model.compile(optimizer="adam", loss=losses.get_loss("tversky", alpha=0.7, beta=0.3, smooth=0.5))
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    config = loaded.loss.get_config()
    assert type(loaded.loss) is losses.TverskyLoss
    assert (config["alpha"], config["beta"], config["smooth"], config["from_logits"]) == (0.7, 0.3, 0.5, False)


def test_the_registry_says_what_each_loss_trains_and_takes():
    registry = losses.LOSSES
    assert losses.loss_names(1) == ("bce", "dice", "bce_dice", "focal", "lovasz", "weighted_cce", "tversky")
    assert losses.loss_names(2) == ("sparse_cce", "weighted_cce")
    assert [name for name, spec in registry.items() if spec.weight_map] == ["weighted_cce"]
    assert registry["tversky"].options() == {"alpha": 0.3, "beta": 0.7, "smooth": 1.0, "from_logits": False}
    assert registry["lovasz"].options() == {"from_logits": False}
    for name, spec in registry.items():
        assert spec.summary and type(losses.get_loss(name)) is spec.cls
        assert set(spec.options()) == set(losses.get_loss(name).get_config()) - {"name", "reduction", "dtype"}, name
    with pytest.raises(ValueError, match="registered twice"):
        losses.register_loss("bce", outputs=(losses.BINARY,), summary="again")
