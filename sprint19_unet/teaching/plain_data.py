"""Answers as plain data: the only form in which anything crosses from a student's kernel to the grader.

The grader never unpickles and never calls a method of an object a student made. In the kernel,
:func:`to_plain` turns an answer into JSON built from numbers, strings, lists and arrays — an array
is its raw little-endian bytes (base64), an allowed dtype and a shape. In the grader,
:func:`from_plain` rebuilds plain Python and NumPy values from that JSON, checking every part of it.
An always-equal object, a ``str`` or ``ndarray`` subclass with its own ``__eq__`` or ``split``, a
Keras tensor: what arrives is their values, never their behaviour. What cannot be sent arrives as
:class:`Unsupported`, which compares equal to nothing.

The notebooks' self-checks send every answer through the same round trip, so a student sees the
same verdict on the same value as the grader would give.

Example:
    >>> import numpy as np
    >>> value = from_plain(to_plain([3, "1 2", np.arange(4, dtype="uint8").reshape(2, 2)]))
    >>> value[:2], type(value[2]).__name__, value[2].tolist()
    ([3, '1 2'], 'ndarray', [[0, 1], [2, 3]])
    >>> from_plain(to_plain(object()))
    Unsupported('object')
"""

from __future__ import annotations

import base64
import binascii
import json
import numbers
import sys

import numpy as np

# dtypes an answer's array may have: numbers and booleans only (no objects, strings or records)
ARRAY_DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                "float16", "float32", "float64")
MAX_ARRAY_BYTES = 64 * 2**20  # one answer's array; the largest we ask for (128 probability maps) is 5 MB
MAX_TEXT_CHARS = 2**20  # one string
MAX_ITEMS = 10_000  # one list
MAX_DEPTH = 8  # lists inside lists
MAX_JSON_CHARS = 128 * 2**20  # one file of answers


class PlainDataError(ValueError):
    """The JSON is not plain data as :func:`to_plain` writes it (damaged, forged or too large)."""


class Unsupported:
    """A value that could not be sent as plain data; it compares equal to nothing.

    Args:
        what: what it was (a type name, or why it could not be sent).

    Example:
        >>> Unsupported("dict") == Unsupported("dict")
        False
    """

    def __init__(self, what: str) -> None:
        self.what = what

    def __eq__(self, other) -> bool:
        return False

    __hash__ = None

    def __repr__(self) -> str:
        return f"Unsupported({self.what!r})"


def _type_name(value) -> str:
    return type(value).__name__


def _as_numpy(value):
    """``value`` as a base-class ndarray, or None (``np.asarray`` drops subclasses; tensors of any backend)."""
    try:
        array = np.asarray(value)
    except Exception:  # the student's object may raise anything
        array = None
    if (array is None or array.dtype == object) and "keras" in sys.modules:
        try:
            array = np.asarray(sys.modules["keras"].ops.convert_to_numpy(value))
        except Exception:
            return None
    return array


def to_plain(value, _depth: int = 0):
    """A value as JSON-ready plain data (runs in the kernel, on the student's answer).

    Args:
        value: anything a student's function returned.

    Returns:
        ``None``, a bool, int, float or str, or a dict ``{"list": [...]}``,
        ``{"array": {"dtype", "shape", "data"}}`` or ``{"unsupported": what}``.

    Example:
        >>> to_plain((1, 2.5))
        {'list': [1, 2.5]}
        >>> to_plain(np.array([1, 2], "int16"))["array"]["shape"]
        [2]
    """
    if value is None or isinstance(value, bool):
        return value if value is None else bool(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, str):  # str.__str__ gives the characters of a subclass as a plain str
        return str.__str__(value) if len(value) <= MAX_TEXT_CHARS else {"unsupported": "a string over 1 MiB"}
    if isinstance(value, (list, tuple)):
        if _depth >= MAX_DEPTH or len(value) > MAX_ITEMS:
            return {"unsupported": f"a {_type_name(value)} too deep or too long"}
        return {"list": [to_plain(item, _depth + 1) for item in value]}
    if isinstance(value, (bytes, bytearray, dict, set)):
        return {"unsupported": _type_name(value)}
    array = _as_numpy(value)
    if array is None or array.dtype == object:
        return {"unsupported": _type_name(value)}
    if array.dtype.name not in ARRAY_DTYPES:
        return {"unsupported": f"an array of dtype {array.dtype}"}
    if array.nbytes > MAX_ARRAY_BYTES:
        return {"unsupported": f"an array of {array.nbytes:,} bytes (over {MAX_ARRAY_BYTES:,})"}
    little = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
    return {"array": {"dtype": array.dtype.name, "shape": list(array.shape),
                      "data": base64.b64encode(little.tobytes()).decode("ascii")}}


def dumps(value) -> str:
    """:func:`to_plain` as one JSON text.

    Example:
        >>> dumps("1 3")
        '"1 3"'
    """
    return json.dumps(to_plain(value), allow_nan=True)


def _array(spec) -> np.ndarray:
    if not isinstance(spec, dict) or set(spec) != {"dtype", "shape", "data"}:
        raise PlainDataError("an array needs exactly dtype, shape and data")
    dtype, shape, data = spec["dtype"], spec["shape"], spec["data"]
    if dtype not in ARRAY_DTYPES:
        raise PlainDataError(f"dtype {str(dtype)[:20]!r} is not allowed")
    if (not isinstance(shape, list) or len(shape) > 8
            or not all(isinstance(side, int) and not isinstance(side, bool) and 0 <= side <= 2**31 for side in shape)):
        raise PlainDataError("shape must be a list of at most 8 sizes")
    if not isinstance(data, str) or len(data) > MAX_ARRAY_BYTES * 4 // 3 + 4:
        raise PlainDataError("data must be base64 text within the size limit")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise PlainDataError("data is not base64") from None
    little = np.dtype(dtype).newbyteorder("<")
    if len(raw) != int(np.prod(shape, dtype=np.int64)) * little.itemsize:
        raise PlainDataError("data does not fill the shape")
    return np.frombuffer(raw, dtype=little).reshape(shape).astype(np.dtype(dtype))


def from_plain(data, _depth: int = 0):
    """Rebuild plain Python / NumPy values from :func:`to_plain`'s output (runs in the grader).

    Args:
        data: JSON-decoded data.

    Returns:
        ``None``, bool, int, float, str, list, ``np.ndarray`` (base class, own memory) or :class:`Unsupported`.

    Raises:
        PlainDataError: for anything that is not of that form.

    Example:
        >>> from_plain({"list": [1, None]})
        [1, None]
    """
    if data is None or isinstance(data, (bool, int, float)):
        return data
    if isinstance(data, str):
        if len(data) > MAX_TEXT_CHARS:
            raise PlainDataError("a string over the size limit")
        return data
    if not isinstance(data, dict) or len(data) != 1:
        raise PlainDataError(f"unexpected {_type_name(data)}")
    (tag, content), = data.items()
    if tag == "list":
        if not isinstance(content, list) or len(content) > MAX_ITEMS or _depth >= MAX_DEPTH:
            raise PlainDataError("a list too long or too deep")
        return [from_plain(item, _depth + 1) for item in content]
    if tag == "array":
        return _array(content)
    if tag == "unsupported":
        return Unsupported(str(content)[:200])
    raise PlainDataError(f"unknown tag {tag[:20]!r}")


def loads(text) -> object:
    """Parse one JSON text written by :func:`dumps` (or a JSON document holding such values: use :func:`from_plain`).

    Args:
        text: the JSON text.

    Returns:
        The value, as :func:`from_plain` gives it.

    Raises:
        PlainDataError: for text that is not JSON, too large or not plain data.

    Example:
        >>> loads('{"list": [1, "2"]}')
        [1, '2']
    """
    return from_plain(parse_json(text))


def parse_json(text) -> object:
    """JSON text → Python data, with the size limit and every parse failure as :class:`PlainDataError`.

    Example:
        >>> parse_json('[1, 2]')
        [1, 2]
    """
    if not isinstance(text, str) or len(text) > MAX_JSON_CHARS:
        raise PlainDataError("not JSON text within the size limit")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:  # also: ints over 4,300 digits, nesting too deep
        raise PlainDataError(f"not JSON: {type(error).__name__}") from None


def round_trip(value):
    """What the grader would receive for ``value``: ``from_plain(to_plain(value))``.

    Example:
        >>> class AlwaysEqual:
        ...     def __eq__(self, other):
        ...         return True
        >>> round_trip(AlwaysEqual()) == 1
        False
    """
    return from_plain(json.loads(json.dumps(to_plain(value), allow_nan=True)))
