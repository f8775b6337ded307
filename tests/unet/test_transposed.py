"""The NumPy transposed convolution (both views) equals keras.layers.Conv2DTranspose.

These tests also run under KERAS_BACKEND=jax and torch: Keras gives the same
sizes and values on every backend, including the kernel-smaller-than-stride
case where Keras (n·s wide) differs from PyTorch's own ConvTranspose2d
((n − 1)·s + k wide unless output_padding is set).
"""

import keras
import numpy as np
import pytest

from sprint19_unet import Sprint19Error
from sprint19_unet.versions import version_tuple
from sprint19_unet.unet.transposed import (
    conv2d_transpose,
    conv2d_transpose_by_zero_insertion,
    conv2d_transpose_output_size,
)

# CI runs this file again on JAX and PyTorch and on the colab and minimum stacks (.ci/run: -m backend_neutral)
pytestmark = pytest.mark.backend_neutral

CASES = [
    # (kernel, strides, padding, in_channels, out_channels)
    (2, 2, "valid", 1, 1),
    (2, 2, "same", 3, 4),
    (3, 2, "valid", 2, 3),
    (3, 2, "same", 2, 3),
    (4, 2, "same", 1, 2),
    (3, 1, "same", 3, 2),
    (1, 2, "same", 2, 2),
    (5, 3, "same", 2, 1),
    (4, 3, "valid", 1, 3),
    ((3, 2), (2, 1), "same", 2, 2),
]


def keras_conv2d_transpose(x, kernel, strides, padding, bias=None, output_padding=None):
    """Run keras.layers.Conv2DTranspose with the given weights; return a NumPy array."""
    kh, kw, cout, _ = kernel.shape
    layer = keras.layers.Conv2DTranspose(
        cout, (kh, kw), strides=strides, padding=padding, output_padding=output_padding, use_bias=bias is not None
    )
    layer.build(x.shape)
    layer.set_weights([kernel] if bias is None else [kernel, bias])
    return keras.ops.convert_to_numpy(layer(x)), layer


# Every relation of kernel to stride (smaller, equal, larger, multiple, not a multiple),
# both paddings, strides 1 to 4, square and not, 1 to 3 channels in and out.
GRID = [
    # (kernel, strides, padding, in_channels, out_channels)
    (kernel, stride, padding, 2, 3)
    for kernel in (1, 2, 3, 4, 5)
    for stride in (1, 2, 3, 4)
    for padding in ("valid", "same")
] + [
    ((1, 3), (2, 2), "valid", 3, 2),  # kernel < stride in height only
    ((3, 1), (2, 3), "valid", 1, 2),  # < in width, > in height
    ((2, 5), (3, 2), "valid", 2, 1),
    ((2, 5), (3, 2), "same", 2, 1),
    ((1, 2), (4, 3), "same", 3, 3),
]


def _case_id(case):
    kernel, strides, padding, cin, cout = case
    return f"k{kernel}-s{strides}-{padding}-{cin}to{cout}".replace(" ", "")


@pytest.mark.parametrize(("kernel_size", "strides", "padding", "cin", "cout"), GRID, ids=[_case_id(c) for c in GRID])
def test_grid_of_kernels_strides_and_paddings_equals_keras(kernel_size, strides, padding, cin, cout):
    rng = np.random.default_rng(1)
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    sh, sw = (strides, strides) if isinstance(strides, int) else strides
    x = rng.normal(size=(2, 3, 4, cin)).astype("float32")
    kernel = rng.normal(size=(kh, kw, cout, cin)).astype("float32")
    bias = rng.normal(size=(cout,)).astype("float32")
    expected, layer = keras_conv2d_transpose(x, kernel, strides, padding, bias)
    size = (conv2d_transpose_output_size(3, kh, sh, padding), conv2d_transpose_output_size(4, kw, sw, padding))
    assert expected.shape == (2, *size, cout)
    assert tuple(layer.compute_output_shape(x.shape)) == (2, *size, cout)
    for view in (conv2d_transpose, conv2d_transpose_by_zero_insertion):
        ours = view(x, kernel, strides, padding, bias)
        assert ours.shape == expected.shape, view.__name__
        np.testing.assert_allclose(ours, expected, atol=1e-5, err_msg=view.__name__)


def test_kernel_smaller_than_stride_keeps_bias_only_pixels_at_the_end():
    # x = [[1, 2]], a 1x1 kernel of 3, stride 2: Keras is 2x4, not PyTorch's 1x3 [[3, 0, 6]].
    x = np.array([[1.0, 2.0]])[:, :, None]
    kernel = np.full((1, 1, 1, 1), 3.0)
    expected = np.array([[3.0, 0.0, 6.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    for view in (conv2d_transpose, conv2d_transpose_by_zero_insertion):
        for padding in ("valid", "same"):  # k <= s: nothing to crop, the two paddings agree
            np.testing.assert_array_equal(view(x, kernel, 2, padding)[:, :, 0], expected)
        np.testing.assert_array_equal(view(x, kernel, 2, "valid", bias=[0.5])[:, :, 0], expected + 0.5)
    keras_output, _ = keras_conv2d_transpose(x[None].astype("float32"), kernel.astype("float32"), 2, "valid")
    np.testing.assert_array_equal(keras_output[0, :, :, 0], expected)


@pytest.mark.parametrize(("kernel_size", "stride"), [(1, 2), (2, 3), (1, 4), (3, 4)])
def test_pytorch_size_is_our_output_cut_to_last_stamp(kernel_size, stride):
    # PyTorch's ConvTranspose2d(padding=0) ends at the last stamp, (n - 1)*s + k, which is what
    # Keras gives with output_padding=0; Keras's default adds max(s - k, 0) bias-only pixels.
    rng = np.random.default_rng(2)
    x = rng.normal(size=(1, 3, 2, 2)).astype("float32")
    kernel = rng.normal(size=(kernel_size, kernel_size, 2, 2)).astype("float32")
    bias = rng.normal(size=(2,)).astype("float32")
    ours = conv2d_transpose(x, kernel, stride, "valid", bias)
    last_h, last_w = (3 - 1) * stride + kernel_size, (2 - 1) * stride + kernel_size
    assert ours.shape[1:3] == (3 * stride, 2 * stride)
    np.testing.assert_allclose(ours[:, last_h:], np.broadcast_to(bias, ours[:, last_h:].shape), atol=1e-6)
    np.testing.assert_allclose(ours[:, :, last_w:], np.broadcast_to(bias, ours[:, :, last_w:].shape), atol=1e-6)
    if version_tuple(keras.__version__) < (3, 11):  # keras-team/keras#21383: older releases refuse a 0
        with pytest.raises(ValueError, match="output_padding"):
            keras.layers.Conv2DTranspose(2, kernel_size, strides=stride, output_padding=0)
        return
    pytorch_like, _ = keras_conv2d_transpose(x, kernel, stride, "valid", bias, output_padding=0)
    assert pytorch_like.shape[1:3] == (last_h, last_w)
    np.testing.assert_allclose(ours[:, :last_h, :last_w], pytorch_like, atol=1e-5)


@pytest.mark.parametrize(("kernel_size", "stride"), [(1, 2), (2, 3), (3, 4)])
def test_keras_output_padding_s_minus_k_is_its_default_size_on_every_keras(kernel_size, stride):
    # what notebook 02 shows: (n - 1)*s + k + output_padding, so s - k gives the default n*s
    rng = np.random.default_rng(3)
    x = rng.normal(size=(1, 3, 2, 2)).astype("float32")
    kernel = rng.normal(size=(kernel_size, kernel_size, 2, 2)).astype("float32")
    bias = rng.normal(size=(2,)).astype("float32")
    padded, _ = keras_conv2d_transpose(x, kernel, stride, "valid", bias, output_padding=stride - kernel_size)
    np.testing.assert_allclose(padded, conv2d_transpose(x, kernel, stride, "valid", bias), atol=1e-5)


@pytest.mark.parametrize(("kernel_size", "strides", "padding", "cin", "cout"), CASES)
def test_both_numpy_views_equal_keras(kernel_size, strides, padding, cin, cout):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 4, cin)).astype("float32")
    layer = keras.layers.Conv2DTranspose(cout, kernel_size, strides=strides, padding=padding)
    layer.build(x.shape)
    kernel = rng.normal(size=layer.kernel.shape).astype("float32")
    bias = rng.normal(size=(cout,)).astype("float32")
    layer.set_weights([kernel, bias])
    expected = keras.ops.convert_to_numpy(layer(x))
    scatter = conv2d_transpose(x, kernel, strides, padding, bias)
    zeros = conv2d_transpose_by_zero_insertion(x, kernel, strides, padding, bias)
    assert scatter.shape == expected.shape
    np.testing.assert_allclose(scatter, expected, atol=1e-5)
    np.testing.assert_allclose(zeros, expected, atol=1e-5)


def test_hand_example_each_pixel_paints_the_kernel():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])[:, :, None]
    kernel = np.array([[1.0, 10.0], [100.0, 1000.0]])[:, :, None, None]
    out = conv2d_transpose(x, kernel, strides=2)[:, :, 0]
    expected = np.array(
        [
            [1, 10, 2, 20],
            [100, 1000, 200, 2000],
            [3, 30, 4, 40],
            [300, 3000, 400, 4000],
        ],
        dtype=float,
    )
    np.testing.assert_array_equal(out, expected)


def test_overlapping_stamps_add_up():
    # kernel 3, stride 2: neighbouring stamps overlap in one row/column, where they sum.
    out = conv2d_transpose(np.ones((2, 2, 1)), np.ones((3, 3, 1, 1)), strides=2)[:, :, 0]
    assert out.shape == (5, 5)
    np.testing.assert_array_equal(out[2], [2, 2, 4, 2, 2])
    np.testing.assert_array_equal(out[0], [1, 1, 2, 1, 1])


def test_unbatched_input_gives_unbatched_output():
    assert conv2d_transpose(np.ones((3, 3, 2)), np.ones((2, 2, 5, 2))).shape == (6, 6, 5)
    assert conv2d_transpose(np.ones((1, 3, 3, 2)), np.ones((2, 2, 5, 2))).shape == (1, 6, 6, 5)


@pytest.mark.parametrize(("n", "k", "s", "padding", "expected"), [
    (28, 2, 2, "valid", 56), (3, 3, 2, "valid", 7), (3, 3, 2, "same", 6), (5, 4, 3, "valid", 16),
    # kernel smaller than the stride: Keras gives n*s, not (n - 1)*s + k
    (2, 1, 2, "valid", 4), (1, 1, 2, "valid", 2), (3, 2, 3, "valid", 9), (4, 1, 3, "same", 12),
])
def test_output_size_formula(n, k, s, padding, expected):
    assert conv2d_transpose_output_size(n, k, s, padding) == expected
    assert conv2d_transpose(np.ones((n, n, 1)), np.ones((k, k, 1, 1)), s, padding).shape[0] == expected


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"x": np.ones((3, 3))}, r"x: expected \(height, width, channels\)"),
    ({"kernel": np.ones((2, 2, 1, 4))}, r"kernel: expected .*in_channels matching x"),
    ({"padding": "full"}, r"padding: expected 'valid' or 'same'; received 'full'"),
    ({"strides": 0}, r"strides: expected a positive integer"),
])
def test_bad_arguments(kwargs, match):
    arguments = {"x": np.ones((3, 3, 1)), "kernel": np.ones((2, 2, 1, 1)), "strides": 2, "padding": "valid", **kwargs}
    with pytest.raises(Sprint19Error, match=match):
        conv2d_transpose(**arguments)
