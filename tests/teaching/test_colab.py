"""The notebooks' set-up report (sprint19_unet.teaching.colab) and their first code cell."""

import json
from pathlib import Path

import pytest

import sprint19_unet as s19
from sprint19_unet.teaching import colab

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def test_version_tuple_reads_the_leading_numbers():
    assert colab.version_tuple("2.16.1") == (2, 16, 1)
    assert colab.version_tuple("3.0.0rc1") == (3, 0, 0)
    assert colab.version_tuple("2.21.0.dev20250101") == (2, 21, 0)


@pytest.mark.parametrize("keras_version, backend, tf_version", [
    ("2.15.0", "tensorflow", "2.15.1"),
    ("3.5.0", "tensorflow", "2.15.1"),
    ("3.5.0", "tensorflow", None),
])
def test_too_old_versions_are_refused_with_what_to_do(keras_version, backend, tf_version):
    with pytest.raises(s19.Sprint19Error, match="pip install"):
        colab.check_versions(keras_version, backend, tf_version)


def test_tensorflow_is_not_needed_on_other_backends():
    colab.check_versions("3.5.0", "jax", None)
    colab.check_versions("3.5.0", "torch", "2.10.0")


def test_report_prints_versions_and_gpu(capsys):
    environment = colab.report()
    lines = capsys.readouterr().out.splitlines()
    assert lines == environment.lines()
    assert lines[0].startswith(f"sprint19_unet {s19.__version__} · Keras ")
    assert lines[1].startswith("GPU: ")
    assert not environment.colab


def test_colab_advice_only_on_colab():
    on_colab = colab.Environment("0.1.0", "3.15.0", "jax", None, (), True).lines()
    assert "Runtime → Change runtime type" in on_colab[1]
    assert "TensorFlow" not in on_colab[0]


def _setup_cells():
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            if cell["cell_type"] == "code" and "SPRINT19_UNET_SOURCE" in "".join(cell["source"]):
                yield path.name, "".join(cell["source"])


def test_no_notebook_points_at_a_repository_we_do_not_control():
    for path in [*NOTEBOOKS.glob("*.ipynb"), NOTEBOOKS.parent / "README.md"]:
        assert "github.com/sprint19" not in path.read_text(encoding="utf-8"), path.name


def test_setup_cells_agree_and_keep_colab_tensorflow():
    cells = dict(_setup_cells())
    assert set(cells) == {path.name for path in NOTEBOOKS.glob("*.ipynb")}, "every notebook starts with it"
    sources = set(cells.values())
    assert len(sources) == 1, "the notebooks' set-up cells differ; keep them identical"
    source = sources.pop()
    first_lines = [line for line in source.splitlines() if not line.startswith("# NBVAL")]
    assert first_lines[0].startswith('SPRINT19_UNET_SOURCE = ""  #')
    assert "--no-deps" in source and "s19.colab.report()" in source
    compile(source, "setup-cell", "exec")


def test_setup_cell_stops_with_a_message_on_colab_without_a_source(monkeypatch, capsys):
    import importlib.util
    import sys
    import types

    source = next(iter(dict(_setup_cells()).values()))
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "sprint19_unet" else real_find_spec(name, *a))
    with pytest.raises(RuntimeError, match="SPRINT19_UNET_SOURCE"):
        exec(compile(source, "setup-cell", "exec"), {})
    assert "SPRINT19_UNET_SOURCE" in capsys.readouterr().out


def test_setup_cell_says_what_it_installs_and_how_long_it_took(monkeypatch, capsys):
    import importlib.util
    import subprocess
    import sys
    import types
    from importlib import metadata

    source = next(iter(dict(_setup_cells()).values())).replace('SPRINT19_UNET_SOURCE = ""', 'SPRINT19_UNET_SOURCE = "/course/copy"', 1)
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "sprint19_unet" else real_find_spec(name, *a))
    commands = []
    monkeypatch.setattr(subprocess, "run", lambda command, **kwargs: commands.append(command))
    runtime = [line.strip() for line in (NOTEBOOKS.parent / "requirements.txt").read_text(encoding="utf-8").splitlines()
               if line.strip() and not line.startswith("#")]
    monkeypatch.setattr(metadata, "requires", lambda name: [*runtime, "Keras [extra]>=3.5", "NumPy ~= 2.1",
                                                            'nbformat>=5.7; extra == "grade"'])
    exec(compile(source, "setup-cell", "exec"), {})
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "installing sprint19_unet from /course/copy (Colab's TensorFlow, Keras and NumPy are kept) …"
    others = [line for line in runtime if line.split(">")[0].split("<")[0] not in ("tensorflow", "keras", "numpy")]
    assert len(others) == len(runtime) - 3 and others, runtime
    assert lines[1].startswith(f"installed sprint19_unet and {len(others)} requirements in ") and lines[1].endswith(" s")
    assert commands[0][-2:] == ["--no-deps", "/course/copy"] and commands[1][-len(others):] == others
    # every pip call either installs without dependencies or names none of Colab's own TensorFlow, Keras, NumPy
    for command in commands:
        names = [word.lower() for word in command[command.index("install") + 1:] if not word.startswith("-")]
        assert "--no-deps" in command or not any(
            name.startswith(kept) for name in names for kept in ("tensorflow", "keras", "numpy")), command


def test_the_runtime_requirements_leave_jupyter_to_the_extras():
    root = NOTEBOOKS.parent
    runtime = (root / "requirements.txt").read_text(encoding="utf-8")
    assert "jupyter" not in runtime.split("\n# `tensorflow`")[1] and "nbformat" not in runtime
    assert "jupyter_client" in (root / "requirements-grade.txt").read_text(encoding="utf-8")
    assert '"requirements-grade.txt"' in (root / "pyproject.toml").read_text(encoding="utf-8")
