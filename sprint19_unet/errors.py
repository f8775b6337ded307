"""One error type for every mistake a user can make with their input.

Every user-facing error in the package is a :class:`Sprint19Error` (a
``ValueError``), and its message says three things: what was received, what was
expected, and how to fix it. The CLI catches exactly this type and prints the
message as one line, with no traceback.
"""

from __future__ import annotations

import numbers
import os

import numpy as np


class Sprint19Error(ValueError):
    """A bad argument, file or folder given by the user.

    Example:
        >>> raise Sprint19Error("depth: expected an integer >= 1; received 0. Use depth=4.")
        Traceback (most recent call last):
        ...
        sprint19_unet.errors.Sprint19Error: depth: expected an integer >= 1; received 0. Use depth=4.
    """


def is_integer(value) -> bool:
    """Whether ``value`` is an integer (Python's or NumPy's), never a bool (``True`` is not 1 here).

    Example:
        >>> is_integer(3), is_integer(np.int64(3)), is_integer(True), is_integer(3.0)
        (True, True, False, False)
    """
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_real(value) -> bool:
    """Whether ``value`` is a real number (an integer or a float, Python's or NumPy's), never a bool.

    Example:
        >>> is_real(0.5), is_real(np.float32(0.5)), is_real(2), is_real(False), is_real("0.5")
        (True, True, True, False, False)
    """
    return isinstance(value, (numbers.Real, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: object) -> str:
    r"""``str(text)`` with every character that is not printable written as an escape, as ``repr()`` does.

    Newline, return and tab become ``\n``, ``\r``, ``\t``; other control, format (e.g. a right-to-left
    override) and separator characters ``\xNN``, ``\uNNNN`` or ``\UNNNNNNNN``; bytes that were not
    UTF-8 in a file name (kept by Python as surrogates) ``\xNN``; spaces stay. How a path, a student's
    name or a message reaches a terminal or a CSV file on one line, with no escape sequence run.

    Example:
        >>> printable("a\tb\x1b[31m"), printable("caf\udce9")
        ('a\\tb\\x1b[31m', 'caf\\xe9')
    """
    text = str(text).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(character if character.isprintable() else _escape(character) for character in text)


def _escape(character: str) -> str:
    code = ord(character)
    if character in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[character]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def one_line(text: object, limit: int) -> str:
    r"""``text`` on one line (runs of whitespace, newlines included, become one space), shortened to ``limit``.

    How a message quotes something long it received: a student's exception, a notebook's error.

    Args:
        text: anything; ``str()`` is taken.
        limit: the most characters returned; longer text ends in ``…``.

    Returns:
        The one-line text.

    Example:
        >>> one_line("first line\n  second line", 14)
        'first line se…'
    """
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def bad_input(subject: str, received: object, expected: str, fix: str) -> Sprint19Error:
    """Build a :class:`Sprint19Error` with the house message layout.

    Args:
        subject: what is wrong, naming the argument or file (e.g. ``"depth"`` or
            ``"image 'train/images/a.png'"``).
        received: the value or fact that was received (formatted with ``str``).
        expected: what would have been accepted.
        fix: one sentence telling the user what to do.

    Returns:
        The error, ready to ``raise``.

    Example:
        >>> str(bad_input("depth", 0, "an integer >= 1", "Use depth=4 as in the paper."))
        'depth: expected an integer >= 1; received 0. Use depth=4 as in the paper.'
    """
    return Sprint19Error(f"{subject}: expected {expected}; received {received}. {fix}")


def check_int(name: str, value: object, minimum: int, fix: str, maximum: int | None = None) -> int:
    """Check that an argument is an integer in range (``True``/``False`` are refused).

    Args:
        name: the argument's name, for the message.
        value: what was passed.
        minimum: the smallest accepted value.
        fix: one sentence telling the user what to pass.
        maximum: the largest accepted value, or None.

    Returns:
        The value as a Python ``int``.

    Raises:
        Sprint19Error: naming the argument, the value and the accepted range.

    Example:
        >>> check_int("depth", 4, 1, "Use depth=4.")
        4
    """
    integral = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not integral or value < minimum or (maximum is not None and value > maximum):
        expected = f"an integer >= {minimum}" if maximum is None else f"an integer in [{minimum}, {maximum}]"
        raise bad_input(name, repr(value), expected, fix)
    return int(value)


def check_finite(name: str, values, fix: str):
    """Check that an array holds no NaN or infinite values.

    A NaN pixel does not fail loudly anywhere: the network turns it into NaN
    activations, a training run then stops on a NaN loss that seems to be the
    learning rate's fault, and predictions quietly become empty masks.

    Args:
        name: the argument's name, for the message.
        values: a NumPy array (or anything ``np.asarray`` takes).
        fix: one sentence telling the user what to do.

    Returns:
        The values as a NumPy array.

    Raises:
        Sprint19Error: naming the argument, how many values are NaN / infinite and
            the index of the first one.

    Example:
        >>> check_finite("images", [[0.0, 0.5]], "Fix the images.").shape
        (1, 2)
    """
    values = np.asarray(values)
    if values.dtype.kind not in "fc":
        return values
    finite = np.isfinite(values)
    if finite.all():
        return values
    nan_count = int(np.isnan(values).sum())
    first = tuple(int(i) for i in np.argwhere(~finite)[0])
    raise bad_input(
        name,
        f"{nan_count} NaN and {int((~finite).sum()) - nan_count} infinite values (the first at index {first})",
        "finite values",
        fix,
    )


def check_threshold(threshold, allow_none: bool):
    """Check a probability threshold: a number in [0, 1) (or None where soft scores are allowed).

    Args:
        threshold: what was passed.
        allow_none: whether None (no thresholding) is accepted.

    Raises:
        Sprint19Error: for NaN, a value outside [0, 1), a bool or a non-number.

    Example:
        >>> check_threshold(0.5, allow_none=False)
    """
    if threshold is None and allow_none:
        return
    if not is_real(threshold) or not 0.0 <= threshold < 1.0:
        raise bad_input(
            "threshold",
            repr(threshold),
            "a number in [0, 1)" + (" or None for soft (unthresholded) scores" if allow_none else ""),
            "Use threshold=0.5 for sigmoid probabilities.",
        )


def shown(value: object, limit: int = 200) -> str:
    """``repr(value)`` for a message, whatever it is: an integer too long for ``repr`` (Python
    refuses more than 4,300 digits) is described by its length, a long text shortened.

    Example:
        >>> shown(10**40), shown(10**5000), shown("run")
        ('an integer of 41 digits', 'an integer of about 5001 digits', "'run'")
    """
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**30:
        try:
            return f"an integer of {len(str(abs(value)))} digits"
        except ValueError:  # more than Python converts (4,300 digits): count from the bits
            return f"an integer of about {abs(value).bit_length() * 30103 // 100000 + 1} digits"
    try:
        text = repr(value)
    except ValueError:
        return f"a {type(value).__name__} that cannot be shown"
    except Exception:  # a repr that raises: say only the type
        return f"a {type(value).__name__} that cannot be shown"
    return one_line(text, limit)


MAX_PATH_CHARACTERS = 4096  # Linux's PATH_MAX


def path_problem(path: object) -> str | None:
    """What makes ``path`` unusable as a file name on any system, or None when it is fine.

    A NUL character ends a name at the system call (Python raises ``ValueError``); a lone
    surrogate (``"\\ud800"``, as a JSON file may hold) cannot be encoded (``UnicodeEncodeError``).

    Args:
        path: a ``str`` or ``os.PathLike``.

    Returns:
        A description for an error message, or None.

    Example:
        >>> path_problem("runs/unet"), path_problem("run\\x00x"), path_problem(3)
        (None, 'a path with a NUL character', 'an int, not a path')
    """
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    if isinstance(path, bytes):
        return "a path with a NUL character" if b"\0" in path else None
    if not isinstance(path, str):
        return f"{'a' if type(path).__name__[0] not in 'aeiou' else 'an'} {type(path).__name__}, not a path"
    if "\0" in path:
        return "a path with a NUL character"
    try:
        os.fsencode(path)
    except UnicodeEncodeError:
        return "a path with characters that cannot be encoded (a lone surrogate such as \\ud800)"
    if len(path) > MAX_PATH_CHARACTERS:
        return f"a path of {len(path):,} characters (at most {MAX_PATH_CHARACTERS:,})"
    return None


def check_path(path: object, subject: str, fix: str = "Pass a file or folder path as a string or pathlib.Path."):
    """Refuse what cannot be a path (an int, None, a NUL character, a lone surrogate) with one clear error.

    Args:
        path: what was passed.
        subject: what it is, for the message (e.g. ``"image path"``).
        fix: one sentence telling the user what to pass.

    Returns:
        ``path`` as a ``pathlib.Path``.

    Raises:
        Sprint19Error: naming ``subject`` and what is wrong.

    Example:
        >>> check_path(None, "image path")
        Traceback (most recent call last):
        ...
        sprint19_unet.errors.Sprint19Error: image path: expected a file or folder path; received a NoneType, not a path. Pass a file or folder path as a string or pathlib.Path.
    """
    from pathlib import Path

    problem = path_problem(path)
    if problem:
        raise bad_input(subject, problem, "a file or folder path", fix)
    return Path(os.fsdecode(path) if isinstance(path, bytes) else path)
