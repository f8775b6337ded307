"""The NumPy transposed convolution (both views) equals keras.layers.Conv2DTranspose."""

import keras
import numpy as np
import pytest

from sprint19_unet import Sprint19Error
from sprint19_unet.transposed import (
    conv2d_transpose,
    conv2d_transpose_by_zero_insertion,
    conv2d_transpose_output_size,
)

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


@pytest.mark.parametrize(("n", "k", "s", "padding", "expected"), [(28, 2, 2, "valid", 56), (3, 3, 2, "valid", 7), (3, 3, 2, "same", 6), (5, 4, 3, "valid", 16)])
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
