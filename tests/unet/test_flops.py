"""FLOP counting: the hand count equals the count over a built model, and reproduces ANCHORS.md."""

import keras
import pytest

from sprint19_unet import Sprint19Error
from sprint19_unet.unet.flops import (
    conv_multiply_adds,
    model_forward_flops,
    training_step_flops,
    unet_conv_shapes,
    unet_forward_flops,
)
from sprint19_unet.unet.model import build_unet, paper_unet

# CI runs this file again on JAX and PyTorch and on the colab and minimum stacks (.ci/run: -m backend_neutral)
pytestmark = pytest.mark.backend_neutral

GFLOP = 1e9


@pytest.mark.parametrize(
    ("kwargs", "anchor_gflop", "tolerance"),
    [
        ({"input_size": 572, "padding": "valid", "num_classes": 2}, 335, 0.05 * 335),  # the paper's network
        ({"input_size": 128, "base_filters": 64}, 27, 0.05 * 27),
        ({"input_size": 128, "base_filters": 16}, 1.7, 0.05 * 1.7),
        ({"input_size": 64, "base_filters": 8}, 0.1, 0.01),  # quoted to one digit
    ],
)
def test_anchor_figures_use_the_dense_up_conv_convention(kwargs, anchor_gflop, tolerance):
    # ANCHORS.md: "Forward FLOPs (2·multiply-adds), analytic". Those round figures count each
    # 2×2 up-convolution as a dense convolution over the upsampled map; within 5 %.
    assert unet_forward_flops(**kwargs, dense_up_conv=True) / GFLOP == pytest.approx(anchor_gflop, abs=tolerance)
    # The arithmetic the network really needs is about 10 % less (3 of 4 dense products are with zeros).
    real = unet_forward_flops(**kwargs)
    assert 0.85 < real / unet_forward_flops(**kwargs, dense_up_conv=True) < 0.92


def test_paper_network_by_hand():
    # 18 3×3 convs, 4 up-convs and the 1×1 head, layer by layer (Figure 1's sizes).
    three_by_three = [
        (570, 1, 64), (568, 64, 64), (282, 64, 128), (280, 128, 128), (138, 128, 256), (136, 256, 256),
        (66, 256, 512), (64, 512, 512), (30, 512, 1024), (28, 1024, 1024),
        (54, 1024, 512), (52, 512, 512), (102, 512, 256), (100, 256, 256),
        (198, 256, 128), (196, 128, 128), (390, 128, 64), (388, 64, 64),
    ]
    up_convs = [(28, 1024, 512), (52, 512, 256), (100, 256, 128), (196, 128, 64)]  # (input size, C_in, C_out)
    multiply_adds = sum(conv_multiply_adds(s, s, 3, cin, cout) for s, cin, cout in three_by_three)
    multiply_adds += sum(s * s * 4 * cin * cout for s, cin, cout in up_convs)
    multiply_adds += conv_multiply_adds(388, 388, 1, 64, 2)
    assert unet_forward_flops(572, padding="valid", num_classes=2) == 2 * multiply_adds


# build_unet's arguments for four U-Nets, and the same U-Nets as the hand counts take them
BUILT_MODELS = [
    {"input_shape": (64, 64, 1), "base_filters": 8},
    {"input_shape": (48, 80, 3), "base_filters": 4, "depth": 3, "num_classes": 5},
    {"input_shape": (92, 92, 1), "base_filters": 4, "depth": 2, "padding": "valid", "num_classes": 3},
    {"input_shape": (32, 32, 1), "base_filters": 4, "depth": 2, "up_mode": "resize"},
]


def _hand_arguments(kwargs: dict) -> dict:
    height, width, channels = kwargs["input_shape"]
    return {"input_size": (height, width), "base_filters": kwargs["base_filters"], "depth": kwargs.get("depth", 4),
            "padding": kwargs.get("padding", "same"), "in_channels": channels,
            "num_classes": kwargs.get("num_classes", 1), "up_mode": kwargs.get("up_mode", "transpose")}


@pytest.mark.parametrize("dense_up_conv", [False, True])
@pytest.mark.parametrize("kwargs", BUILT_MODELS)
def test_hand_count_equals_the_count_over_the_built_model(kwargs, dense_up_conv):
    model = build_unet(**kwargs)
    hand = unet_forward_flops(**_hand_arguments(kwargs), dense_up_conv=dense_up_conv)
    assert model_forward_flops(model, dense_up_conv=dense_up_conv) == hand


@pytest.mark.parametrize("kwargs", BUILT_MODELS)
def test_the_walk_knows_every_convolution_of_the_built_model(kwargs):
    # What train's memory estimate reads before building anything: shapes and weights, layer by layer.
    model = build_unet(**kwargs, batch_norm=False)
    shapes = unet_conv_shapes(**_hand_arguments(kwargs))
    convs = [layer for layer in model.layers if isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose))]
    assert [tuple(layer.output.shape[1:]) for layer in convs] == [(s.height, s.width, s.out_channels) for s in shapes]
    assert sum(shape.parameters for shape in shapes) == model.count_params()


def test_paper_model_count():
    assert model_forward_flops(paper_unet()) == unet_forward_flops(572, padding="valid", num_classes=2)


def test_training_step_is_three_forward_passes_per_image():
    assert training_step_flops(unet_forward_flops(64, base_filters=8), batch_size=8) == 24 * unet_forward_flops(
        64, base_filters=8
    )


def test_bad_sizes_are_refused_with_the_size_message():
    with pytest.raises(Sprint19Error, match="received 101"):
        unet_forward_flops(101)
    with pytest.raises(Sprint19Error, match="variable height or width"):
        model_forward_flops(build_unet((None, None, 1), base_filters=4, depth=2))
