"""course release: the folder students get holds the package and the exercise notebooks, never a solution."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cli_helpers import run_cli
from sprint19_unet.errors import Sprint19Error
from sprint19_unet.teaching.course import PROJECT_FILES, project_root, release

# trains a model, or starts processes or kernels: left out of the inner loop (README)
pytestmark = pytest.mark.slow

ROOT = project_root()
SOURCE = "git+https://github.com/YOUR-COURSE/unet-sprint@v1"


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / "release-v1"
    result = run_cli("course", "release", out, "--source", SOURCE)
    assert result.returncode == 0, result.stderr
    return out


def test_the_release_holds_exercises_and_background_notebooks_and_no_solution(released):
    names = sorted(path.name for path in (released / "notebooks").glob("*.ipynb"))
    exercises = sorted(path.name for path in (ROOT / "notebooks" / "exercises").glob("*.ipynb"))
    background = [path.name for path in (ROOT / "notebooks").glob("*.ipynb")
                  if "assignment" not in json.loads(path.read_text(encoding="utf-8"))["metadata"].get("sprint19", {})]
    assert names == sorted(exercises + background) and len(background) == 3
    for path in (released / "notebooks").glob("*.ipynb"):
        text = path.read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
        assert json.dumps(f'SPRINT19_UNET_SOURCE = "{SOURCE}"')[1:-1] in text, path.name  # the set-up cell
    for name in exercises:  # the students' copies, as made by scripts/make_exercises
        mine = json.loads((released / "notebooks" / name).read_text(encoding="utf-8"))
        theirs = json.loads((ROOT / "notebooks" / "exercises" / name).read_text(encoding="utf-8"))
        assert [cell["id"] for cell in mine["cells"]] == [cell["id"] for cell in theirs["cells"]]


def test_the_release_is_a_package_pip_can_build(released, tmp_path):
    assert all((released / name).is_file() for name in PROJECT_FILES)
    assert not list(released.rglob("__pycache__")) and (released / "data" / "README.md").is_file()
    assert SOURCE in (released / "README.md").read_text(encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                             "-w", str(tmp_path), str(released)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert list(tmp_path.glob("sprint19_unet-*.whl"))


def test_a_release_refuses_what_it_cannot_publish(tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    with pytest.raises(Sprint19Error, match="not an empty folder"):
        release(tmp_path / "full", SOURCE)
    with pytest.raises(Sprint19Error, match="--source"):
        release(tmp_path / "new", "")
    with pytest.raises(Sprint19Error, match="no project checkout"):
        release(tmp_path / "new", SOURCE, project=tmp_path)
    with pytest.raises(Sprint19Error, match="inside the project's sprint19_unet/"):  # it would copy itself
        release(ROOT / "sprint19_unet" / "release-v1", SOURCE)
    assert not (ROOT / "sprint19_unet" / "release-v1").exists()
    assert (tmp_path / "full" / "keep.txt").read_text() == "mine" and not (tmp_path / "new").exists()
