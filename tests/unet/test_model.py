"""The U-Net builder against the paper: shapes, parameter counts, layer names, errors."""

import keras
import numpy as np
import pytest

import sprint19_unet as s19
from sprint19_unet import Sprint19Error
from sprint19_unet.unet.model import build_unet, count_conv_layers, paper_unet

# CI runs this file again on JAX and PyTorch and on the colab and minimum stacks (.ci/run: -m backend_neutral)
pytestmark = pytest.mark.backend_neutral


@pytest.fixture(scope="module")
def paper_model():
    return paper_unet()


def test_paper_unet_matches_the_paper(paper_model):
    assert paper_model.input_shape == (None, 572, 572, 1)
    assert paper_model.output_shape == (None, 388, 388, 2)
    assert count_conv_layers(paper_model) == 23
    assert paper_model.count_params() == 31_030_658


def test_paper_unet_shapes_follow_figure_1(paper_model):
    # Figure 1: feature-map sizes after the second conv of each level and after each up-conv.
    expected = {
        "contracting1_conv2": (568, 568, 64),
        "contracting2_conv2": (280, 280, 128),
        "contracting3_conv2": (136, 136, 256),
        "contracting4_conv2": (64, 64, 512),
        "bottleneck_conv2": (28, 28, 1024),
        "expanding4_up_conv": (56, 56, 512),
        "expanding4_crop": (56, 56, 512),
        "expanding4_conv2": (52, 52, 512),
        "expanding3_up_conv": (104, 104, 256),
        "expanding3_conv2": (100, 100, 256),
        "expanding2_up_conv": (200, 200, 128),
        "expanding2_conv2": (196, 196, 128),
        "expanding1_up_conv": (392, 392, 64),
        "expanding1_copy_concat": (392, 392, 128),
        "expanding1_conv2": (388, 388, 64),
        "output_conv1x1": (388, 388, 2),
    }
    for name, shape in expected.items():
        assert tuple(paper_model.get_layer(name).output.shape[1:]) == shape, name


def test_paper_unet_has_dropout_and_softmax(paper_model):
    assert paper_model.get_layer("contracting4_dropout").rate == 0.5
    assert paper_model.get_layer("bottleneck_dropout").rate == 0.5
    assert paper_model.get_layer("output_softmax").activation.__name__ == "softmax"


def test_up_conv_is_a_2x2_stride_2_transposed_convolution_halving_channels(paper_model):
    for level, filters in zip((4, 3, 2, 1), (512, 256, 128, 64)):
        layer = paper_model.get_layer(f"expanding{level}_up_conv")
        assert isinstance(layer, keras.layers.Conv2DTranspose)
        assert layer.kernel_size == (2, 2) and layer.strides == (2, 2)
        assert layer.filters == filters
        assert layer.input.shape[-1] == 2 * filters


@pytest.mark.parametrize(
    ("input_shape", "kwargs", "output_shape"),
    [
        ((64, 64, 1), {}, (None, 64, 64, 1)),
        ((128, 128, 1), {"num_classes": 5}, (None, 128, 128, 5)),
        ((32, 48, 3), {"depth": 3}, (None, 32, 48, 1)),
        ((None, None, 1), {"depth": 2}, (None, None, None, 1)),
        ((188, 188, 1), {"padding": "valid"}, (None, 4, 4, 1)),
        ((92, 92, 1), {"padding": "valid", "depth": 2, "num_classes": 3}, (None, 52, 52, 3)),
        ((64, 64, 1), {"batch_norm": True, "dropout": 0.3, "up_mode": "resize"}, (None, 64, 64, 1)),
    ],
)
def test_output_shapes(input_shape, kwargs, output_shape):
    model = build_unet(input_shape, base_filters=4, **kwargs)
    assert model.output_shape == output_shape
    height = input_shape[0] or 32
    width = input_shape[1] or 32
    prediction = model.predict(np.ones((2, height, width, input_shape[2]), "float32"), verbose=0)
    assert prediction.shape[0] == 2 and prediction.shape[-1] == output_shape[-1]


def test_outputs_are_probabilities():
    binary = build_unet((32, 32, 1), base_filters=4, depth=2)
    multi = build_unet((32, 32, 1), num_classes=4, base_filters=4, depth=2)
    x = np.random.default_rng(0).random((2, 32, 32, 1), dtype="float32")
    p = binary.predict(x, verbose=0)
    assert p.min() >= 0 and p.max() <= 1
    q = multi.predict(x, verbose=0)
    np.testing.assert_allclose(q.sum(axis=-1), 1.0, rtol=1e-5)


def test_same_padding_parameter_count_from_anchors():
    # ANCHORS.md: 31,030,593 for a 1-channel sigmoid head with 'same' padding, any size.
    assert build_unet((128, 128, 1)).count_params() == 31_030_593
    assert build_unet((256, 64, 1)).count_params() == 31_030_593


def test_parameter_count_formula_for_small_models():
    # Hand count for base 4, depth 1: two 3×3 convs per block, 2×2 up-conv, 1×1 head.
    def conv(cin, cout, k=3):
        return k * k * cin * cout + cout

    expected = (
        conv(1, 4) + conv(4, 4)  # contracting1
        + conv(4, 8) + conv(8, 8)  # bottleneck
        + conv(8, 4, k=2)  # up-conv 8 → 4
        + conv(8, 4) + conv(4, 4)  # expanding1 after concatenation (4 + 4 channels)
        + conv(4, 1, k=1)  # 1×1 output
    )
    assert build_unet((16, 16, 1), base_filters=4, depth=1).count_params() == expected


def test_channels_double_per_level():
    model = build_unet((64, 64, 1), base_filters=8, depth=3)
    for level, filters in ((1, 8), (2, 16), (3, 32)):
        assert model.get_layer(f"contracting{level}_conv2").filters == filters
    assert model.get_layer("bottleneck_conv2").filters == 64


def test_batch_norm_layers_present():
    model = build_unet((32, 32, 1), base_filters=4, depth=2, batch_norm=True)
    names = [layer.name for layer in model.layers]
    assert "contracting1_bn1" in names and "expanding1_bn2" in names
    assert model.get_layer("contracting1_conv1").use_bias is False


def test_dropout_only_at_the_end_of_the_contracting_path():
    model = build_unet((32, 32, 1), base_filters=4, depth=3, dropout=0.5)
    dropouts = [layer.name for layer in model.layers if isinstance(layer, keras.layers.Dropout)]
    assert dropouts == ["contracting3_dropout", "bottleneck_dropout"]


def test_save_load_round_trip_gives_identical_predictions(tmp_path):
    model = build_unet((32, 32, 1), num_classes=3, base_filters=4, depth=2, batch_norm=True, dropout=0.2)
    x = np.random.default_rng(1).random((2, 32, 32, 1), dtype="float32")
    before = model.predict(x, verbose=0)
    path = tmp_path / "unet.keras"
    model.save(path)
    loaded = keras.models.load_model(path)  # no custom_objects, safe mode on
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), before)


def test_top_level_exports():
    assert s19.build_unet is build_unet and s19.paper_unet is paper_unet


# === Errors name the argument, the value and the fix ===


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"depth": 0}, r"depth: expected an integer >= 1; received 0"),
        ({"depth": 2.5}, r"depth: expected an integer >= 1; received 2\.5"),
        ({"base_filters": 0}, r"base_filters: expected an integer >= 1; received 0"),
        ({"base_filters": -8}, r"base_filters: .*received -8"),
        ({"num_classes": 0}, r"num_classes: expected an integer >= 1; received 0"),
        ({"padding": "full"}, r"padding: expected 'same' .* or 'valid' .*received 'full'"),
        ({"dropout": 1.0}, r"dropout: expected a rate in \[0, 1\); received 1\.0"),
        ({"up_mode": "bilinear"}, r"up_mode: .*received 'bilinear'"),
        ({"batch_norm": "yes"}, r"batch_norm: expected True or False"),
        ({"input_shape": (128, 128)}, r"input_shape: expected \(height, width, channels\).*received \(128, 128\)"),
        ({"input_shape": (1, 128, 128, 1)}, r"input_shape: expected \(height, width, channels\)"),
        ({"input_shape": (128, 128, 0)}, r"input_shape channels: expected an integer >= 1; received 0"),
        ({"input_shape": (None, 128, 1), "padding": "valid"}, r"input_shape height: expected a fixed size"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, match):
    kwargs = {"input_shape": (64, 64, 1), "base_filters": 4, **kwargs}
    with pytest.raises(Sprint19Error, match=match):
        build_unet(**kwargs)


def test_tgs_size_rejected_with_nearest_sizes_same_padding():
    with pytest.raises(Sprint19Error, match=r"multiple of 2\*\*depth = 16.*received 101.*96 or 112.*128"):
        build_unet((101, 101, 1))


def test_tgs_size_rejected_with_nearest_sizes_valid_padding():
    with pytest.raises(Sprint19Error, match=r"received 101.*188 → output 4.*mirror-pad it to 300"):
        build_unet((101, 101, 1), padding="valid")


def test_128_rejected_in_valid_mode_names_the_pooling():
    with pytest.raises(Sprint19Error, match=r"max pooling after contracting level \d would see an odd size"):
        build_unet((128, 128, 1), padding="valid")


def test_input_standardization_is_a_parameter_free_first_layer():
    plain = build_unet((32, 32, 1), base_filters=4, depth=2)
    standardized = build_unet((32, 32, 1), base_filters=4, depth=2, input_standardization=(0.5, 0.25))
    assert standardized.count_params() == plain.count_params()
    layer = standardized.get_layer("input_standardization")
    x = np.full((1, 32, 32, 1), 0.75, "float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(x)), 1.0)
    with pytest.raises(Sprint19Error, match=r"input_standardization: expected \(mean, std\) with std > 0"):
        build_unet((32, 32, 1), base_filters=4, depth=2, input_standardization=(0.5, 0.0))


def test_a_global_channels_first_setting_still_builds_a_channels_last_unet(tmp_path):
    # a student's ~/.keras/keras.json may say "channels_first"; the U-Net is channels-last anyway
    keras.config.set_image_data_format("channels_first")
    try:
        model = build_unet((32, 32, 1), base_filters=4, depth=2, batch_norm=True)
        assert keras.config.image_data_format() == "channels_first"  # restored after building
        formats = {layer.data_format for layer in model.layers if hasattr(layer, "data_format")}
        assert formats == {"channels_last"}
        assert model.output_shape == (None, 32, 32, 1)
        images = np.random.default_rng(0).random((2, 32, 32, 1), dtype="float32")
        expected = model.predict(images, verbose=0)
        model.save(tmp_path / "model.keras")
        reloaded = keras.models.load_model(tmp_path / "model.keras")  # still channels_first globally
        np.testing.assert_allclose(reloaded.predict(images, verbose=0), expected, rtol=1e-5, atol=1e-6)
    finally:
        keras.config.set_image_data_format("channels_last")
