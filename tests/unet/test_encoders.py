"""Pretrained encoders: VGG16 / ResNet50 U-Nets, skip layers by name, freezing, weights offline, saving."""

import keras
import numpy as np
import pytest

from sprint19_unet import Sprint19Error
from sprint19_unet.training.config import TrainConfig
from sprint19_unet.unet.encoders import (
    ENCODER_NAMES,
    ENCODERS,
    IMAGENET_MEAN_RGB,
    build_encoder_unet,
    encoder_layers,
    encoder_of,
    fine_tune_learning_rate,
    unfreeze_encoder,
)
from sprint19_unet.unet.model import build_unet
from sprint19_unet.training.fit import build_and_compile

# Feature maps copied to the expanding path (and the bottleneck) for a 128×128 input.
EXPECTED_SKIPS = {
    "vgg16": {
        "block1_conv2": (128, 128, 64),
        "block2_conv2": (64, 64, 128),
        "block3_conv3": (32, 32, 256),
        "block4_conv3": (16, 16, 512),
        "block5_conv3": (8, 8, 512),
    },
    "resnet50": {
        "conv1_relu": (64, 64, 64),
        "conv2_block3_out": (32, 32, 256),
        "conv3_block4_out": (16, 16, 512),
        "conv4_block6_out": (8, 8, 1024),
        "conv5_block3_out": (4, 4, 2048),
    },
}


@pytest.fixture(scope="module", params=ENCODER_NAMES)
def gray_model(request):
    """A binary 128×128×1 U-Net for each encoder (built once per module)."""
    return build_encoder_unet((128, 128, 1), encoder=request.param)


def _trainable_count(model) -> int:
    return len(model.trainable_weights)


# === Shapes and layer names ===


@pytest.mark.slow
def test_binary_output_shape_for_grayscale_128(gray_model):
    assert gray_model.input_shape == (None, 128, 128, 1)
    assert gray_model.output_shape == (None, 128, 128, 1)
    assert gray_model.layers[-1].name == "output_sigmoid"
    probabilities = gray_model.predict(np.ones((2, 128, 128, 1), "float32") * 0.5, verbose=0)
    assert probabilities.shape == (2, 128, 128, 1)
    assert np.all((probabilities >= 0) & (probabilities <= 1))


@pytest.mark.parametrize("encoder", ENCODER_NAMES)
def test_a_global_channels_first_setting_still_builds_channels_last(encoder):
    keras.config.set_image_data_format("channels_first")
    try:
        model = build_encoder_unet((64, 64, 1), encoder=encoder, decoder_filters=None)
        assert keras.config.image_data_format() == "channels_first"
    finally:
        keras.config.set_image_data_format("channels_last")
    assert model.output_shape == (None, 64, 64, 1)
    assert {layer.data_format for layer in model.layers if hasattr(layer, "data_format")} == {"channels_last"}


@pytest.mark.slow
@pytest.mark.parametrize("encoder", ENCODER_NAMES)
def test_multi_class_output_is_a_softmax_over_classes(encoder):
    model = build_encoder_unet((128, 128, 1), encoder=encoder, num_classes=4, decoder_filters=None)
    assert model.output_shape == (None, 128, 128, 4)
    probabilities = model.predict(np.zeros((1, 128, 128, 1), "float32"), verbose=0)
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, atol=1e-5)


def test_skip_connections_come_from_the_named_encoder_layers(gray_model):
    encoder = encoder_of(gray_model)
    spec = ENCODERS[encoder]
    for name, shape in EXPECTED_SKIPS[encoder].items():
        assert tuple(gray_model.get_layer(name).output.shape[1:]) == shape, name
    for level, skip_name in enumerate(spec.skip_layers, start=1):
        concat = gray_model.get_layer(f"expanding{level}_copy_concat")
        assert concat.input[0] is gray_model.get_layer(skip_name).output  # the copied features come first
        up_conv = gray_model.get_layer(f"expanding{level}_up_conv")
        assert isinstance(up_conv, keras.layers.Conv2DTranspose)
        assert up_conv.kernel_size == (2, 2) and up_conv.strides == (2, 2)
    assert gray_model.get_layer("expanding4_up_conv").input is gray_model.get_layer(spec.bottleneck_layer).output
    names = {layer.name for layer in gray_model.layers}
    # ResNet50's finest map is at 1/2: one more up-conv back to full resolution, nothing to copy.
    assert ("expanding0_up_conv" in names) == (encoder == "resnet50")
    assert "block5_pool" not in names  # VGG16's bottleneck is block5_conv3 (1/16), its last pooling is unused


def test_grayscale_is_repeated_and_preprocessed_without_parameters(gray_model):
    assert isinstance(gray_model.get_layer("grayscale_to_rgb"), keras.layers.Concatenate)
    preprocessing = gray_model.get_layer("imagenet_preprocessing")
    assert isinstance(preprocessing, keras.layers.Rescaling)
    assert not gray_model.get_layer("grayscale_to_rgb").weights and not preprocessing.weights
    assert not any(type(layer).__name__ == "Lambda" for layer in gray_model.layers)
    front = keras.Model(gray_model.input, preprocessing.output)
    image = np.zeros((1, 128, 128, 1), "float32")
    image[0, 0, :3, 0] = (0.0, 1.0, 0.5)
    out = keras.ops.convert_to_numpy(front(image))
    assert out.shape == (1, 128, 128, 3)
    expected = 255.0 * np.array([0.0, 1.0, 0.5])[:, None] - np.array(IMAGENET_MEAN_RGB)[None, :]  # pixel × channel
    np.testing.assert_allclose(out[0, 0, :3], expected, atol=1e-3)


def test_rgb_input_has_no_grayscale_layer():
    model = build_encoder_unet((64, 96, 3), encoder="vgg16", num_classes=2)
    assert model.output_shape == (None, 64, 96, 2)
    assert "grayscale_to_rgb" not in {layer.name for layer in model.layers}


# === Freezing and fine-tuning ===


@pytest.mark.slow
@pytest.mark.parametrize(
    ("encoder", "top_block_weights"),
    [("vgg16", 6), ("resnet50", 20)],  # block5: 3 convs; conv5: 10 convs (BatchNorm stays frozen); kernel + bias
)
def test_freezing_freezes_and_unfreeze_encoder_counts(encoder, top_block_weights):
    free = build_encoder_unet((64, 64, 1), encoder=encoder)
    frozen = build_encoder_unet((64, 64, 1), encoder=encoder, freeze_encoder=True)
    encoder_weight_count = sum(len(layer.trainable_weights) for layer in encoder_layers(free))
    assert encoder_weight_count > 0
    assert _trainable_count(frozen) == _trainable_count(free) - encoder_weight_count
    assert not any(layer.trainable for layer in encoder_layers(frozen))
    assert all(layer.trainable for layer in frozen.layers if layer.name.startswith(("expanding", "output")))

    decoder_only = _trainable_count(frozen)
    assert unfreeze_encoder(frozen, blocks=1) == decoder_only + top_block_weights == _trainable_count(frozen)
    assert not frozen.get_layer(ENCODERS[encoder].first_conv).trainable  # shallow blocks stay frozen
    after_all = unfreeze_encoder(frozen, keep_batch_norm_frozen=False)
    assert after_all == _trainable_count(free)


def test_encoder_layers_by_block_and_bad_blocks():
    model = build_encoder_unet((64, 64, 1), encoder="vgg16")
    assert [layer.name for layer in encoder_layers(model, blocks=1)] == ["block5_conv1", "block5_conv2", "block5_conv3"]
    assert encoder_layers(model, blocks=5) == encoder_layers(model)
    with pytest.raises(Sprint19Error, match=r"blocks: expected None \(the whole encoder\) or an integer from 1 to 5; received 6"):
        unfreeze_encoder(model, blocks=6)
    with pytest.raises(Sprint19Error, match=r"model 'unet': expected a model built by build_encoder_unet"):
        unfreeze_encoder(build_unet((32, 32, 1), base_filters=2, depth=2))


def test_fine_tune_learning_rate_is_ten_times_lower():
    assert fine_tune_learning_rate(1e-3) == pytest.approx(1e-4)
    assert fine_tune_learning_rate(1e-3, factor=100) == pytest.approx(1e-5)
    with pytest.raises(Sprint19Error, match=r"learning_rate: expected a positive number; received 0"):
        fine_tune_learning_rate(0)


# === Weights ===


def _no_network(*args, **kwargs):
    raise Exception(f"URL fetch failure on {args[1] if len(args) > 1 else '?'}: None -- [Errno -2] Name or service not known")


@pytest.mark.parametrize("encoder", ENCODER_NAMES)
def test_imagenet_without_network_gives_one_clear_error(monkeypatch, encoder):
    monkeypatch.setattr(keras.utils, "get_file", _no_network)  # never downloads, even on a networked machine
    file_name = ENCODERS[encoder].weights_file.replace(".", r"\.")
    with pytest.raises(Sprint19Error, match=rf"encoder_weights='imagenet'.*~/\.keras/models/{file_name}") as info:
        build_encoder_unet((64, 64, 1), encoder=encoder, encoder_weights="imagenet")
    message = str(info.value)
    assert "Name or service not known" in message and "network access" in message and "encoder_weights=None" in message
    assert info.value.__cause__ is None and info.value.__suppress_context__  # no chained deep traceback


def test_imagenet_error_also_through_build_unet_and_train_config(monkeypatch):
    monkeypatch.setattr(keras.utils, "get_file", _no_network)
    with pytest.raises(Sprint19Error, match=r"encoder_weights='imagenet'"):
        build_unet((64, 64, 1), encoder="vgg16", encoder_weights="imagenet")
    config = TrainConfig(encoder="vgg16", encoder_weights="imagenet", input_size=64)
    with pytest.raises(Sprint19Error, match=r"encoder_weights='imagenet'"):
        build_and_compile(config, 1)


def test_a_local_weights_file_loads_into_the_encoder(tmp_path):
    keras.utils.set_random_seed(3)
    reference = keras.applications.VGG16(include_top=False, weights=None, input_shape=(None, None, 3))
    path = tmp_path / "vgg16_notop.weights.h5"
    reference.save_weights(path)
    model = build_encoder_unet((64, 64, 1), encoder="vgg16", encoder_weights=str(path))
    for name in ("block3_conv3", "block5_conv3"):
        for loaded, saved in zip(model.get_layer(name).get_weights(), reference.get_layer(name).get_weights()):
            np.testing.assert_array_equal(loaded, saved)
    # The weights expect BGR input (caffe); our model takes RGB, so the first kernel's input channels are reversed.
    kernel = model.get_layer("block1_conv1").get_weights()[0]
    np.testing.assert_array_equal(kernel, reference.get_layer("block1_conv1").get_weights()[0][:, :, ::-1, :])


@pytest.mark.parametrize(
    ("weights", "match"),
    [
        ("missing/vgg16.h5", r"encoder_weights: expected an existing \.h5 / \.weights\.h5 weights file; received 'missing/vgg16\.h5', a path that does not exist"),
        ("weights.npz", r"encoder_weights: expected None, 'imagenet' or the path to a \.h5 / \.weights\.h5 weights file; received 'weights\.npz'"),
        (3, r"encoder_weights: expected None, 'imagenet' or the path to a \.h5 / \.weights\.h5 file; received 3"),
    ],
)
def test_bad_weights_arguments(weights, match):
    with pytest.raises(Sprint19Error, match=match):
        build_encoder_unet((64, 64, 1), encoder="vgg16", encoder_weights=weights)


def test_a_weights_file_of_another_model_is_refused(tmp_path):
    small = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(2, 3)])
    path = tmp_path / "small.weights.h5"
    small.save_weights(path)
    with pytest.raises(Sprint19Error, match=r"encoder_weights file '.*small\.weights\.h5': expected the vgg16 weights"):
        build_encoder_unet((64, 64, 1), encoder="vgg16", encoder_weights=str(path))


# === Bad arguments ===


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"encoder": "vgg19"}, r"encoder: expected one of 'vgg16', 'resnet50'; received 'vgg19'\. Did you mean 'vgg16'\?"),
        ({"encoder": "resnet50", "input_shape": (101, 101, 1)},
         r"input_shape height: expected a multiple of 32 \(the total stride of the resnet50 encoder\).*received 101\. Nearest valid sizes: 96 or 128\. Pad the images to 128×128"),
        ({"encoder": "vgg16", "input_shape": (128, 100, 1)},
         r"input_shape width: expected a multiple of 16 .*received 100\. Nearest valid sizes: 96 or 112"),
        ({"encoder": "vgg16", "input_shape": (16, 16, 1)}, r"at least 32; received 16\. Nearest valid sizes: 32\."),
        ({"input_shape": (64, 64, 2)}, r"input_shape channels: expected 1 \(grayscale.*\) or 3 \(RGB\).*received 2"),
        ({"input_shape": (64, 64)}, r"input_shape: expected \(height, width, channels\)"),
        ({"num_classes": 0}, r"num_classes: expected an integer >= 1; received 0"),
        ({"decoder_filters": (8, 8)}, r"decoder_filters: expected 4 positive integers, one per up-convolution, deepest first"),
        ({"encoder": "resnet50", "decoder_filters": (8, 8, 8, 8)}, r"decoder_filters: expected 5 positive integers"),
        ({"freeze_encoder": "yes"}, r"freeze_encoder: expected True or False; received 'yes'"),
        ({"dropout": 1.0}, r"dropout: expected a rate in \[0, 1\)"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    arguments = {"input_shape": (64, 64, 1), **kwargs}
    with pytest.raises(Sprint19Error, match=match):
        build_encoder_unet(**arguments)


def test_build_unet_dispatches_and_checks_encoder_arguments():
    model = build_unet((64, 64, 1), encoder="vgg16", freeze_encoder=True, batch_norm=True, name="vgg")
    assert model.name == "vgg" and encoder_of(model) == "vgg16"
    assert not model.get_layer("block1_conv1").trainable and "expanding1_bn1" in {layer.name for layer in model.layers}
    with pytest.raises(Sprint19Error, match=r"encoder: expected padding='same' and input_standardization=None"):
        build_unet((64, 64, 1), encoder="vgg16", input_standardization=(0.5, 0.2))
    with pytest.raises(Sprint19Error, match=r"encoder_weights / freeze_encoder: expected encoder='vgg16' or 'resnet50'"):
        build_unet((64, 64, 1), freeze_encoder=True)


@pytest.mark.parametrize(
    ("values", "match"),
    [
        ({"encoder": "vgg"}, r"config field 'encoder': expected null, 'vgg16' or 'resnet50'; received 'vgg'"),
        ({"freeze_encoder": True}, r"config field 'encoder': expected an encoder .* when encoder_weights or freeze_encoder is set"),
        ({"encoder": "vgg16", "padding": "valid"}, r"config field 'padding': expected 'same'"),
        ({"encoder": "resnet50", "input_size": 112}, r"config field 'input_size': expected a multiple of 32"),
        ({"encoder_weights": 1}, r"field 'encoder_weights': expected str or null"),
    ],
)
def test_train_config_encoder_fields(values, match):
    with pytest.raises(Sprint19Error, match=match):
        TrainConfig.from_dict(values)


def test_train_config_encoder_names_match_the_module():
    for name in ENCODER_NAMES:
        assert TrainConfig(encoder=name).encoder == name


def test_build_and_compile_passes_the_encoder_fields():
    config = TrainConfig(encoder="resnet50", freeze_encoder=True, input_size=64, batch_norm=False)
    model = build_and_compile(config, 1, input_stats=(0.5, 0.2))
    assert encoder_of(model) == "resnet50" and model.output_shape == (None, 64, 64, 1)
    assert not model.get_layer("conv1_conv").trainable
    assert "input_standardization" not in {layer.name for layer in model.layers}  # ImageNet preprocessing instead


# === Saving and training ===


@pytest.mark.slow
def test_save_and_load_round_trip_without_custom_objects(tmp_path):
    model = build_encoder_unet((64, 64, 1), encoder="resnet50", num_classes=3, freeze_encoder=True)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)  # no custom_objects
    x = np.random.default_rng(0).random((2, 64, 64, 1)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    assert encoder_of(loaded) == "resnet50" and not loaded.get_layer("conv3_block1_1_conv").trainable
    assert len(loaded.trainable_weights) == len(model.trainable_weights)


@pytest.mark.slow
@pytest.mark.parametrize("encoder", ENCODER_NAMES)
def test_one_training_step_on_cpu_changes_only_the_unfrozen_weights(encoder):
    keras.utils.set_random_seed(0)
    model = build_encoder_unet((64, 64, 1), encoder=encoder, freeze_encoder=True)
    unfreeze_encoder(model, blocks=1)
    model.compile(optimizer=keras.optimizers.Adam(fine_tune_learning_rate(1e-3)), loss="binary_crossentropy")
    first_conv = ENCODERS[encoder].first_conv
    deepest_conv = "block5_conv3" if encoder == "vgg16" else "conv5_block3_3_conv"
    before = {name: model.get_layer(name).get_weights()[0].copy() for name in (first_conv, deepest_conv, "output_conv1x1")}
    rng = np.random.default_rng(0)
    images = rng.random((2, 64, 64, 1)).astype("float32")
    masks = (images > 0.5).astype("float32")
    history = model.fit(images, masks, batch_size=2, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    np.testing.assert_array_equal(model.get_layer(first_conv).get_weights()[0], before[first_conv])  # frozen
    assert not np.array_equal(model.get_layer(deepest_conv).get_weights()[0], before[deepest_conv])  # unfrozen
    assert not np.array_equal(model.get_layer("output_conv1x1").get_weights()[0], before["output_conv1x1"])
