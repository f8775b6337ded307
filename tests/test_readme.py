"""README's quick start is exactly two command lines, and CI runs the second one."""

import re
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _quick_start_lines():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_quick_start_has_exactly_two_command_lines():
    lines = _quick_start_lines()
    assert len(lines) == 2
    assert lines[0].endswith("-m sprint19_unet demo")
    assert lines[1].endswith("-m pytest")


def test_ci_runs_the_readme_test_command_word_for_word():
    ci_lines = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert _quick_start_lines()[1] in ci_lines


def test_requirements_keep_the_gpu_capable_tensorflow():
    requirements = (PROJECT_ROOT / "requirements.txt").read_text(encoding="utf-8")
    names = [re.split(r"[<>=!~ ]", line)[0] for line in requirements.splitlines() if line and not line.startswith("#")]
    assert "tensorflow" in names and "tensorflow-cpu" not in names
    assert "keras" in names
    assert "==" not in requirements  # ranges, not pins


def test_readmes_tables_are_the_registries():
    """README's tables of losses and exercises are written by scripts/tables from the registries."""
    import importlib.machinery
    import importlib.util

    loader = importlib.machinery.SourceFileLoader("sprint19_tables", str(PROJECT_ROOT / "scripts" / "tables"))
    tables = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(tables)
    texts = {path: path.read_text(encoding="utf-8") for path in tables.FILES}
    assert tables.render(texts) == texts, "README's tables are out of date: run python scripts/tables"
    readme = texts[PROJECT_ROOT / "README.md"]
    assert "| `tversky` | sigmoid (1 class) | `alpha=0.3`, `beta=0.7`" in readme
    assert "| Kaggle TGS | `train.csv` or `depths.csv` in the folder |" in texts[PROJECT_ROOT / "data" / "README.md"]
    stale = {**texts, PROJECT_ROOT / "README.md": readme.replace("| `bce` |", "| `bce_old` |")}
    assert tables.render(stale) == texts  # a table edited by hand is written again from the registry
