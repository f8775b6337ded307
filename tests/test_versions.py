"""The versions CI tests, stated once (requirements.txt, versions.COLAB), and the warning for older ones."""

import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from sprint19_unet import versions

ROOT = Path(__file__).resolve().parents[1]


def requirement_bounds(name="requirements.txt"):
    return versions.lower_bounds((ROOT / name).read_text(encoding="utf-8").splitlines())


def test_lower_bounds_read_each_requirement_line():
    lines = ["# comment", "tensorflow>=2.16.1,<3", "keras <4, >=3.5.0", "jupyter_client>=8.0  # why",
             "Pillow[extra]>=10.0", 'nbformat>=5.7; extra == "grade"', "tqdm"]
    assert versions.lower_bounds(lines) == {"tensorflow": "2.16.1", "keras": "3.5.0", "jupyter-client": "8.0",
                                            "pillow": "10.0"}


def test_the_minimums_are_requirements_txt_and_name_releases_with_three_numbers_where_needed():
    bounds = requirement_bounds()
    assert versions.minimums() == bounds  # the installed metadata agrees with the file (reinstall if not)
    assert bounds["tensorflow"] == "2.16.1"  # 2.16.0 was never released: `>=2.16` would pin a release that does not exist


def test_pins_print_exact_versions_for_each_leg():
    def pins(leg):
        return subprocess.run([sys.executable, str(ROOT / "scripts" / "pins"), leg], capture_output=True, text=True,
                              check=True).stdout.split()

    every_bound = {**requirement_bounds("requirements-dev.txt"), **requirement_bounds("requirements-grade.txt"),
                   **requirement_bounds()}
    assert sorted(pins("minimum")) == sorted(f"{name}=={version}" for name, version in every_bound.items())
    assert pins("colab") == [f"{name}=={version}" for name, version in versions.COLAB.items()]
    wrong = subprocess.run([sys.executable, str(ROOT / "scripts" / "pins"), "newest"], capture_output=True, text=True)
    assert wrong.returncode != 0 and "usage: scripts/pins minimum|colab" in wrong.stderr


def test_an_older_keras_or_tensorflow_gets_one_line_saying_what_to_do(monkeypatch):
    tested = versions.minimums()
    monkeypatch.setattr(versions, "tensorflow_version", lambda: "2.15.1")
    with pytest.warns(versions.OlderVersionWarning) as caught:
        older = versions.warn_if_older("3.4.1")
    assert len(caught) == 1 and len(older) == 2
    message = str(caught[0].message)
    assert "\n" not in message
    assert f"found TensorFlow 2.15.1 (tested: {tested['tensorflow']} and newer" in message
    assert f"Keras 3.4.1 (tested: {tested['keras']} and newer, and Colab's {versions.COLAB['keras']})" in message
    assert f"pip install -U 'tensorflow>={tested['tensorflow']}' 'keras>={tested['keras']}'" in message


def test_tested_versions_give_no_warning(monkeypatch):
    monkeypatch.setattr(versions, "tensorflow_version", lambda: versions.COLAB["tensorflow"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert versions.warn_if_older(versions.COLAB["keras"]) == []
        assert versions.warn_if_older(versions.minimums()["keras"]) == []


@pytest.mark.slow
def test_importing_the_package_with_an_old_keras_warns_once():
    code = ("import warnings, keras; keras.__version__ = '3.0.0'; warnings.simplefilter('always'); "
            "import sprint19_unet")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "OlderVersionWarning" in line]
    assert len(lines) == 1 and "found Keras 3.0.0" in lines[0], result.stderr


def test_readme_lists_the_versions_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Versions CI tests", 1)[1].split("\n## ", 1)[0]
    rows = {cells[0]: cells[1:] for cells in (
        [cell.strip().strip("`") for cell in line.strip("|").split("|")]
        for line in section.splitlines() if line.startswith("| ") and not line.startswith("| CI leg"))}
    bounds = versions.minimums()
    assert rows["colab"] == [versions.CI_PYTHON, versions.COLAB["tensorflow"], versions.COLAB["keras"],
                             versions.COLAB["numpy"]]
    assert rows["minimum"] == [versions.CI_PYTHON, bounds["tensorflow"], bounds["keras"], bounds["numpy"]]
    for python in versions.UNTESTED_PYTHONS:
        assert python in section
    assert re.search(r"untested", section)
