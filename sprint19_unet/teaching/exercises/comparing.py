"""Reading a student's plain answer as an array or a number, and comparing it with the reference.

The answers come as plain data (:mod:`sprint19_unet.teaching.plain_data`): ``None``, numbers,
strings, lists, NumPy arrays or :class:`~sprint19_unet.teaching.plain_data.Unsupported`. Every helper
raises :class:`~sprint19_unet.teaching.exercises.registry.Mismatch` with what differed.

Example:
    >>> import numpy as np
    >>> as_number(np.array([4]))
    4.0
    >>> expect_values(np.ones(2), np.ones(2), "the values", "")
"""

from __future__ import annotations

import numpy as np

from sprint19_unet.errors import one_line
from sprint19_unet.teaching.exercises.registry import Mismatch
from sprint19_unet.teaching.plain_data import Unsupported

RETURN_HINT = "end the function with a return statement"


def _describe(value) -> str:
    if isinstance(value, Unsupported):
        return value.what
    return one_line(repr(value), 40)


def as_array(value, name: str = "your function") -> np.ndarray:
    """The answer as a numeric NumPy array (nested lists of numbers too).

    Args:
        value: the plain answer.
        name: who returned it, for the message.

    Returns:
        The array.

    Raises:
        Mismatch: for None, a string, something that was not an array, or a ragged list.

    Example:
        >>> as_array([[1, 2], [3, 4]]).shape
        (2, 2)
    """
    if value is None:
        raise Mismatch(f"{name} returned None", RETURN_HINT)
    if isinstance(value, (str, Unsupported)) or isinstance(value, bool):
        raise Mismatch(f"expected an array, got {_describe(value)}", "return a NumPy array")
    try:
        array = np.asarray(value)
    except ValueError:  # a ragged list
        raise Mismatch("expected an array, got a list of lists of different lengths", "return a NumPy array") from None
    if array.dtype.kind not in "biuf":
        raise Mismatch(f"expected numbers, got {_describe(value)}", "return a NumPy array of numbers")
    return array


def as_number(value, name: str = "your function") -> float:
    """The answer as one number (a NumPy scalar or a one-element array too; not a bool).

    Raises:
        Mismatch: for None, a bool, a string, or more than one number.

    Example:
        >>> as_number(3)
        3.0
    """
    if value is None:
        raise Mismatch(f"{name} returned None", RETURN_HINT)
    if isinstance(value, bool):
        raise Mismatch(f"expected a number, got the bool {value}")
    if isinstance(value, (str, Unsupported, list)):
        raise Mismatch(f"expected one number, got {_describe(value)}")
    array = np.asarray(value)
    if array.size != 1 or array.dtype.kind not in "biuf":
        raise Mismatch(f"expected one number, got an array of shape {array.shape}")
    return float(array.reshape(()))


def expect_shape(got: np.ndarray, expected: tuple, hint: str) -> None:
    """Raise a :class:`Mismatch` when ``got`` does not have the shape ``expected``.

    Example:
        >>> expect_shape(np.zeros((2, 3)), (2, 3), "")
    """
    if got.ndim == 0:
        raise Mismatch(f"expected an array of shape {tuple(expected)}, got {one_line(repr(got.item()), 40)}",
                       "return the array itself")
    if tuple(got.shape) != tuple(expected):
        raise Mismatch(f"expected shape {tuple(expected)}, got {tuple(got.shape)}", hint)


def first_difference(got: np.ndarray, expected: np.ndarray) -> tuple[int, ...]:
    """The index of the first value that differs (``np.isclose``, rtol 1e-5, atol 1e-6).

    Example:
        >>> first_difference(np.array([1.0, 2.0]), np.array([1.0, 3.0]))
        (1,)
    """
    wrong = ~np.isclose(got.astype(np.float64), expected.astype(np.float64), rtol=1e-5, atol=1e-6)
    return tuple(int(i) for i in np.argwhere(wrong)[0])


def expect_values(got: np.ndarray, expected: np.ndarray, what: str, hint: str) -> None:
    """Raise a :class:`Mismatch` when ``got`` (of the right shape) differs from ``expected`` (rtol 1e-5, atol 1e-6).

    Example:
        >>> expect_values(np.zeros(2), np.ones(2), "the values", "add one")
        Traceback (most recent call last):
        ...
        sprint19_unet.teaching.exercises.registry.Mismatch: the values differ from the expected ones, first at index (0,)
    """
    if got.dtype.kind not in "biuf":
        raise Mismatch(f"expected numbers, got an array of dtype {got.dtype}", hint)
    if not np.allclose(got.astype(np.float64), expected.astype(np.float64), rtol=1e-5, atol=1e-6):
        raise Mismatch(f"{what} differ from the expected ones, first at index {first_difference(got, expected)}",
                       hint)
