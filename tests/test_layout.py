"""The package's layout: subpackages in pipeline order, imports pointing one way, old models loading.

unet ← data ← training ← estimation ← teaching ← cli: a module may import from its own
stage or an earlier one, never a later one, and no chain of imports (function-level
ones included) comes back to where it started. ``errors``, ``atomic``, ``outputs``,
``native_logs`` and ``versions`` sit below every stage.
"""

from __future__ import annotations

import ast
import re
import importlib
from pathlib import Path

import keras
import numpy as np
import pytest

import sprint19_unet as s19

PACKAGE = Path(s19.__file__).parent
STAGES = {"errors": 0, "atomic": 0, "outputs": 0, "native_logs": 0, "versions": 0, "unet": 1, "data": 2, "training": 3, "estimation": 4,
          "teaching": 5, "cli": 6, "__main__": 7, "__init__": 7}
FIXTURES = Path(__file__).parent / "fixtures"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imports(path: Path, name: str) -> set[str]:
    """The package modules a module imports, anywhere in it (function-level imports too)."""
    modules = _modules()
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            targets = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {target for target in targets if target in modules and target != name}
    return found


def _stage(module: str) -> int:
    parts = module.split(".")
    return STAGES["__init__"] if len(parts) == 1 else STAGES[parts[1]]


def _graph() -> dict[str, set[str]]:
    return {name: _imports(path, name) for name, path in _modules().items()}


def test_every_module_belongs_to_a_stage():
    assert {name.split(".")[1] for name in _modules() if "." in name} <= set(STAGES)


def test_imports_point_one_way_through_the_pipeline():
    backwards = [
        f"{importer} (stage {_stage(importer)}) imports {imported} (stage {_stage(imported)})"
        for importer, imported_modules in _graph().items()
        for imported in imported_modules
        if imported.count(".") and _stage(imported) > _stage(importer)  # a subpackage's __init__ is not imported
    ]
    assert not backwards, "\n".join(backwards)


@pytest.mark.slow
def test_no_import_cycle():
    graph = {name: {target for target in targets if target != "sprint19_unet"} for name, targets in _graph().items()}
    graph.pop("sprint19_unet")  # the package re-exports everything by design
    state: dict[str, str] = {}

    def visit(node, path):
        state[node] = "open"
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                pytest.fail("import cycle: " + " → ".join(path + [node, target]))
            if target not in state:
                visit(target, path + [node])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])


def test_the_checker_sees_a_reversed_import(tmp_path):
    # the check above is no test if it cannot fail: a data module importing training is caught
    module = tmp_path / "bad.py"
    module.write_text("from sprint19_unet.training.fit import train\n")
    assert _imports(module, "sprint19_unet.data.bad") == {"sprint19_unet.training.fit"}
    assert _stage("sprint19_unet.training.fit") > _stage("sprint19_unet.data.bad")


def test_every_module_imports_and_the_top_level_names_are_the_defining_objects():
    for name in _modules():
        importlib.import_module(name)
    assert s19.build_unet is importlib.import_module("sprint19_unet.unet.model").build_unet
    assert s19.copy_and_crop is importlib.import_module("sprint19_unet.unet.parts").copy_and_crop
    assert s19.kaggle_tgs_score is importlib.import_module("sprint19_unet.estimation.scoring").kaggle_tgs_score
    missing = [name for name in s19.__all__ if not hasattr(s19, name)]
    assert not missing


def test_the_public_api_is_the_imports_of_the_package_and_all_says_the_same():
    """``__init__`` imports each public name once; ``__all__`` must list exactly those (no name in one only)."""
    tree = ast.parse(Path(s19.__file__).read_text(encoding="utf-8"))
    imported = [alias.asname or alias.name for node in tree.body if isinstance(node, ast.ImportFrom)
                and node.module != "__future__" for alias in node.names if not (alias.asname or alias.name)[0] == "_"]
    assert len(imported) == len(set(imported)), "a name imported twice in sprint19_unet/__init__.py"
    assert len(s19.__all__) == len(set(s19.__all__)), "a name listed twice in __all__"
    assert set(s19.__all__) - set(imported) == set(), "in __all__ but never imported"
    assert set(imported) - set(s19.__all__) == set(), "imported as public but missing from __all__"


def test_a_model_saved_before_the_subpackages_still_loads():
    # written by the flat layout (commit 98a273e): losses and metrics were sprint19_unet.losses / .metrics
    model = keras.models.load_model(FIXTURES / "unet_saved_before_the_subpackages.keras")
    assert type(model.loss).__name__ == "BCEDiceLoss"
    images = np.random.default_rng(0).random((4, 16, 16, 1)).astype("float32")
    expected = np.load(FIXTURES / "unet_saved_before_the_subpackages_prediction.npy")
    np.testing.assert_allclose(model.predict(images[:1], verbose=0), expected, atol=1e-5)
    assert set(model.evaluate(images, (images > 0.5).astype("float32"), verbose=0, return_dict=True)) >= {"loss"}


def _code_lines(node: ast.FunctionDef, lines: list[str]) -> int:
    """Statement lines of a function: its docstring, comments and blank lines not counted."""
    body = node.body
    start = body[0].lineno
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        start = body[0].end_lineno + 1
    return sum(1 for number in range(start, node.end_lineno + 1)
               if lines[number - 1].strip() and not lines[number - 1].strip().startswith("#"))


def test_no_function_is_longer_than_a_reader_can_hold_in_mind():
    """At most 60 lines of code per function in the package: a longer one becomes named steps."""
    too_long = []
    for path in sorted(Path(s19.__file__).parent.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _code_lines(node, lines) > 60:
                too_long.append(f"{path.name}:{node.lineno} {node.name} ({_code_lines(node, lines)} lines)")
    assert too_long == []
    sample = ast.parse('def f():\n    """Doc.\n\n    More."""\n    # a comment\n\n    x = 1\n    return x\n').body[0]
    assert _code_lines(sample, 'def f():\n    """Doc.\n\n    More."""\n    # a comment\n\n    x = 1\n    return x\n'
                       .splitlines()) == 2


def test_module_docstrings_fit_on_a_screen():
    """A module's docstring says what it is for in at most 25 lines; the details live with the functions."""
    long_ones = []
    for path in sorted(Path(s19.__file__).parent.rglob("*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")), clean=False) or ""
        if len(doc.splitlines()) > 25:
            long_ones.append(f"{path.relative_to(PACKAGE)} ({len(doc.splitlines())} lines)")
    assert long_ones == []


def test_the_tests_mirror_the_package():
    """tests/<sub>/test_<module>[_more].py tests sprint19_unet/<sub>/<module>.py; cross-cutting tests stay in tests/."""
    tests = Path(__file__).parent
    misplaced = []
    for path in sorted(tests.glob("*/test_*.py")):
        name = path.stem.removeprefix("test_")
        modules = [p.stem for p in (PACKAGE / path.parent.name).iterdir() if not p.name.startswith("_")]
        if not any(name == m or name.startswith(m + "_") or m.startswith(name + "_") for m in modules):
            misplaced.append(str(path.relative_to(tests)))
    assert (PACKAGE / "data" / "formats.py").is_file() and (tests / "data" / "test_formats.py").is_file()
    assert misplaced == []


def test_every_test_file_a_document_names_exists():
    """A path like tests/training/test_fit.py in README, .ci/run, the scripts, the benchmarks and RESULTS.md or a docstring points at a real file."""
    root = Path(__file__).resolve().parents[1]
    documents = [root / "README.md", root / "data" / "README.md", root / ".ci" / "run", *sorted((root / "scripts").iterdir()),
                 *sorted((root / "benchmarks").iterdir()),
                 *sorted(PACKAGE.rglob("*.py")), *sorted((root / "tests").rglob("*.py"))]
    missing = sorted({f"{document.relative_to(root)}: {match}" for document in documents if document.is_file()
                      for match in re.findall(r"tests/[\w/]*test_\w+\.py", document.read_text(encoding="utf-8"))
                      if not (root / match).is_file()})
    assert missing == []
