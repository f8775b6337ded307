"""Predicting to files (estimation/files.py): a mask folder is replaced in one step, and a kill between
the two renames is recovered by the next write."""

import subprocess
import sys
from pathlib import Path

import pytest


# === Mask folders: a kill while replacing an old output never leaves it missing (issue 14, finding 4) ===


def _write_folder(path: Path, text: str) -> None:
    from sprint19_unet.atomic import atomic_directory

    with atomic_directory(path) as folder:
        (folder / "a.txt").write_text(text)


def test_replacing_an_output_folder_swaps_it_in_one_step(tmp_path):
    from sprint19_unet.atomic import _exchange

    out = tmp_path / "masks"
    _write_folder(out, "old")
    _write_folder(out, "new")
    assert (out / "a.txt").read_text() == "new"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["masks"]
    if sys.platform.startswith("linux"):  # where the swap is one system call, no kill can fall between two renames
        first, second = tmp_path / "x", tmp_path / "y"
        first.mkdir(), second.mkdir()
        (first / "1").touch()
        assert _exchange(first, second)
        assert [p.name for p in second.iterdir()] == ["1"] and not any(first.iterdir())


KILL_BETWEEN_RENAMES = """
import os, sys
import sprint19_unet.atomic as atomic
from pathlib import Path

atomic._exchange = lambda first, second: False  # the two-rename route of systems without an atomic swap
calls = []
rename = os.replace
def replace_then_die(source, target):
    rename(source, target)
    calls.append(source)
    if len(calls) == 1:
        os._exit(9)  # killed after the old output moved aside, before the new one moved in
os.replace = replace_then_die
with atomic.atomic_directory(Path(sys.argv[1])) as folder:
    (folder / "a.txt").write_text("new")
"""


@pytest.mark.slow
def test_a_kill_between_the_two_renames_is_recovered_by_the_next_write(tmp_path):
    out = tmp_path / "masks"
    _write_folder(out, "old")
    killed = subprocess.run([sys.executable, "-c", KILL_BETWEEN_RENAMES, str(out)], capture_output=True, text=True)
    assert killed.returncode == 9, killed.stderr
    assert not out.exists()  # the moment the kill left behind: the old masks only in a hidden .masks.old.*
    from sprint19_unet.atomic import atomic_directory

    with pytest.raises(RuntimeError):  # the next write (here one that fails) first restores the old output
        with atomic_directory(out):
            raise RuntimeError("prediction failed")
    assert (out / "a.txt").read_text() == "old"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["masks"]  # no hidden leftovers
