"""The versions we test, stated once, and one warning line when an older TensorFlow or Keras is found.

The lower bounds are those of ``requirements.txt`` — read from the installed package's metadata
(which pip built from that file), or from the file itself in a checkout that was not
installed — and CI's **minimum** leg installs exactly them. :data:`COLAB` is what Colab's
runtime ships, CI's **colab** leg. README's table of tested versions is checked against both.

``import sprint19_unet`` calls :func:`warn_if_older`: one line naming the version found,
the versions tested and the command that upgrades, instead of an error deep inside Keras
later. Keras 2 and TensorFlow before 2.16 cannot run this code at all:
:func:`sprint19_unet.teaching.colab.report` refuses them in the notebooks' first cell.

Example:
    >>> sorted(COLAB)
    ['keras', 'numpy', 'tensorflow']
"""

from __future__ import annotations

import re
import warnings
from importlib import metadata
from pathlib import Path

# Colab's runtime (googlecolab/backend-info, pip freeze of 2026-08, Python 3.12): CI's colab leg.
COLAB = {"tensorflow": "2.20.0", "keras": "3.13.2", "numpy": "2.1.3"}
# What the two-command quick start installs today, and the Python of every CI leg.
CI_PYTHON = "3.11"
# Python versions we claim (pyproject's requires-python) but no CI leg runs.
UNTESTED_PYTHONS = ("3.10", "3.12", "3.13 (Colab)")
_REQUIREMENTS = Path(__file__).resolve().parents[1] / "requirements.txt"
_LOWER_BOUND = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(?:\[[^\]]*\])?\s*[^;]*?>=\s*([0-9][0-9A-Za-z.]*)")


class OlderVersionWarning(UserWarning):
    """TensorFlow or Keras is older than the oldest version CI tests."""


def lower_bounds(requirements) -> dict[str, str]:
    """The ``>=`` bound of each requirement line, by lower-case name (extras' lines left out).

    Args:
        requirements: lines such as ``"tensorflow>=2.16.1,<3"``.

    Returns:
        ``{name: version}``.

    Example:
        >>> lower_bounds(["tensorflow<3,>=2.16.1", "keras>=3.5.0", 'nbformat>=5.7; extra == "grade"', "# x"])
        {'tensorflow': '2.16.1', 'keras': '3.5.0'}
    """
    bounds = {}
    for line in requirements:
        line = line.split("#", 1)[0]
        if "extra ==" in line:
            continue
        match = _LOWER_BOUND.match(line)
        if match:
            bounds[match.group(1).lower().replace("_", "-")] = match.group(2)
    return bounds


def minimums() -> dict[str, str]:
    """The lower bounds of requirements.txt: from the installed metadata, else from the checkout's file.

    Returns:
        ``{name: version}``; empty when neither can be read.

    Example:
        >>> minimums()["keras"] >= "3"
        True
    """
    try:
        return lower_bounds(metadata.requires("sprint19-unet") or [])
    except metadata.PackageNotFoundError:
        if _REQUIREMENTS.is_file():
            return lower_bounds(_REQUIREMENTS.read_text(encoding="utf-8").splitlines())
        return {}


def version_tuple(version: str) -> tuple[int, ...]:
    """The leading numbers of a version string: ``"2.16.1"`` → ``(2, 16, 1)``, ``"3.0.0rc1"`` → ``(3, 0, 0)``.

    Example:
        >>> version_tuple("2.16.0-rc0"), version_tuple("3.5")
        ((2, 16, 0), (3, 5))
    """
    numbers = []
    for part in version.split("."):
        match = re.match(r"\d+", part)
        if match is None:
            break
        numbers.append(int(match.group()))
        if match.end() != len(part):
            break
    return tuple(numbers)


def tensorflow_version() -> str | None:
    """TensorFlow's installed version, read from its metadata (nothing imports TensorFlow), or None.

    Example:
        >>> tensorflow_version() is None or version_tuple(tensorflow_version()) >= (2,)
        True
    """
    for distribution in ("tensorflow", "tensorflow-cpu", "tf-nightly"):
        try:
            return metadata.version(distribution)
        except metadata.PackageNotFoundError:
            pass
    return None


def older_than_tested(found: dict[str, str | None], tested: dict[str, str]) -> list[str]:
    """One sentence per package found older than its tested minimum.

    Args:
        found: ``{name: installed version or None}``.
        tested: ``{name: minimum}``.

    Returns:
        Sentences such as ``"Keras 3.4.1 (tested: 3.5.0 and newer, and Colab's 3.13.2)"``.

    Example:
        >>> older_than_tested({"keras": "3.4.1", "tensorflow": "2.21.0"}, {"keras": "3.5.0", "tensorflow": "2.16.1"})
        ["Keras 3.4.1 (tested: 3.5.0 and newer, and Colab's 3.13.2)"]
    """
    names = {"keras": "Keras", "tensorflow": "TensorFlow"}
    return [
        f"{names.get(name, name)} {version} (tested: {tested[name]} and newer, and Colab's {COLAB.get(name, '?')})"
        for name, version in found.items()
        if version is not None and name in tested and version_tuple(version) < version_tuple(tested[name])
    ]


def warn_if_older(keras_version: str | None = None) -> list[str]:
    """Warn in one line when the installed TensorFlow or Keras is older than CI's minimum leg.

    TensorFlow's version is read from its metadata, so nothing imports TensorFlow here.

    Args:
        keras_version: Keras's version (default: ``keras.__version__``).

    Returns:
        What was found too old (empty when nothing was).

    Example:
        >>> warn_if_older("3.15.1")
        []
    """
    if keras_version is None:
        import keras

        keras_version = keras.__version__
    tested = minimums()
    older = older_than_tested({"tensorflow": tensorflow_version(), "keras": keras_version}, tested)
    if older:
        upgrade = " ".join(f"'{name}>={tested[name]}'" for name in ("tensorflow", "keras") if name in tested)
        warnings.warn(
            f"sprint19_unet: found {' and '.join(older)}; older versions are untested and may fail inside Keras. "
            f"Upgrade with `pip install -U {upgrade}` (on Colab: a newer runtime, Runtime → Change runtime type).",
            OlderVersionWarning, stacklevel=2,
        )
    return older
