"""A course's release: the folder students get — the package, the exercise notebooks, no solutions.

``python -m sprint19_unet course release OUT --source URL`` (or :func:`release`) writes, from a checkout
of the project:

* ``sprint19_unet/``, ``pyproject.toml`` and the ``requirements*.txt`` files — so ``pip install OUT``
  (or the course's git URL of it) installs the package on Colab or a laptop;
* ``notebooks/`` — the exercise notebooks (``notebooks/exercises/``, under their own names) and the
  background notebooks (those that hold no assignment: 00, 03, 04); never a solution notebook;
* ``data/README.md`` (how to get the real data) and a ``README.md`` for students;
* in every notebook's set-up cell, ``SPRINT19_UNET_SOURCE`` set to ``--source`` — the URL or folder the
  course publishes the release at — so each notebook installs the package on Colab by itself.

A release is checked before it is written: no notebook holds a solution region (``### BEGIN
SOLUTION``) and every notebook's set-up cell names the source.

Example:
    Not run by the doctests (it copies the project); tests/teaching/test_course.py does.

    >>> release("course-release", source="git+https://github.com/YOUR-COURSE/unet-sprint@v1")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from sprint19_unet import atomic
from sprint19_unet.errors import bad_input
from sprint19_unet.outputs import overlap
from sprint19_unet.teaching.exercises.registry import notebook_assignment

SOURCE_LINE = 'SPRINT19_UNET_SOURCE = ""'
PROJECT_FILES = ("pyproject.toml", "requirements.txt", "requirements-grade.txt", "requirements-notebooks.txt",
                 "requirements-dev.txt")
STUDENT_README = """# {name} — U-Net for teaching: your exercise notebooks

Install the package once (Python 3.10–3.12), then open the notebooks:

```bash
python3 -m venv .venv && .venv/bin/pip install -q -e ".[notebooks]" && .venv/bin/jupyter lab notebooks
```

On Colab, open a notebook and run its first cell: it installs the package from your course's copy
({source}).

`notebooks/01_…` and `notebooks/02_…` hold your exercises. Each exercise is followed by a check cell that
runs your code on cases of its own and prints ✅, or ❌ with a hint; it is there for you to learn from.
Your grade comes from the course's grader, which runs your notebook and asks your functions for answers on
cases of its own. The other notebooks are background reading. `data/README.md` says how to get the real
Kaggle data.
"""


def project_root(start: str | os.PathLike | None = None) -> Path:
    """The checkout of the project: the folder with ``pyproject.toml`` and ``notebooks/`` above the package.

    Raises:
        Sprint19Error: when the package was installed without its checkout (a wheel has no notebooks).
    """
    root = Path(start) if start is not None else Path(__file__).resolve().parents[2]
    if not (root / "pyproject.toml").is_file() or not (root / "notebooks" / "exercises").is_dir():
        raise bad_input("course release", f"no project checkout at {root}", "the project's folder, with "
                        "pyproject.toml and notebooks/exercises/", "Run it from a clone of the course's copy "
                        "(pip install -e . there), or pass --project PATH.")
    return root


def _with_source(notebook: dict, source: str, name: str) -> dict:
    for cell in notebook["cells"]:
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code" and text.startswith(SOURCE_LINE):
            cell["source"] = f"SPRINT19_UNET_SOURCE = {json.dumps(source)}" + text[len(SOURCE_LINE):]
            return notebook
    raise bad_input(f"notebook '{name}'", "no set-up cell", f"a first code cell starting with {SOURCE_LINE}",
                    "Keep the set-up cell of the course's notebooks.")


def release_notebooks(root: Path) -> dict:
    """The notebooks of a release: name → notebook JSON (exercise copies and background notebooks)."""
    chosen = {}
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        if notebook_assignment(notebook.get("metadata")) is None:
            chosen[path.name] = notebook
    for path in sorted((root / "notebooks" / "exercises").glob("*.ipynb")):
        chosen[path.name] = json.loads(path.read_text(encoding="utf-8"))
    return chosen


def release(out: str | os.PathLike, source: str, project: str | os.PathLike | None = None) -> Path:
    """Write the folder a course gives its students (see the module's docstring).

    Args:
        out: the folder to write; it must be new or empty.
        source: where the course publishes it, as pip takes it (``git+https://…@tag`` or a folder).
        project: the project's checkout (default: the one this package was installed from).

    Returns:
        The folder.

    Raises:
        Sprint19Error: for an empty source, no checkout, an ``out`` that holds files, or a notebook that
            would carry a solution.
    """
    if not isinstance(source, str) or not source.strip() or '"' in source or "\n" in source:
        raise bad_input("--source", repr(source), "where the course publishes the release, as pip takes it",
                        "Pass e.g. --source git+https://github.com/YOUR-COURSE/unet-sprint@v1 (or a folder).")
    root = project_root(project)
    out = Path(out)
    for source_folder in ("sprint19_unet", "notebooks", "data"):
        if overlap(out, root / source_folder) in ("is", "lies inside"):
            raise bad_input(f"release folder '{out}'", f"a folder inside the project's {source_folder}/",
                            "a folder outside what the release copies", "Pass e.g. --out ../release-v1.")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise bad_input(f"release folder '{out}'", "a path that exists and is not an empty folder",
                        "a new or empty folder", "Pass a new folder, e.g. --out release-v1.")
    notebooks = {}
    for name, notebook in release_notebooks(root).items():
        text = json.dumps(notebook)
        if "BEGIN SOLUTION" in text or "BEGIN HIDDEN TESTS" in text:
            raise bad_input(f"notebook '{name}'", "a solution region", "an exercise or background notebook",
                            "Run python scripts/make_exercises, which strips the solutions.")
        notebooks[name] = _with_source(notebook, source, name)
    with atomic.atomic_directory(out) as folder:
        shutil.copytree(root / "sprint19_unet", folder / "sprint19_unet",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        for name in PROJECT_FILES:
            if (root / name).is_file():
                shutil.copyfile(root / name, folder / name)
        (folder / "data").mkdir()
        shutil.copyfile(root / "data" / "README.md", folder / "data" / "README.md")
        (folder / "notebooks").mkdir()
        for name, notebook in notebooks.items():
            text = json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"  # as nbformat writes
            (folder / "notebooks" / name).write_text(text, encoding="utf-8")
        (folder / "README.md").write_text(STUDENT_README.format(name=out.name, source=source), encoding="utf-8")
    return out
