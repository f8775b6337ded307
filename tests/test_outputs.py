"""Nothing of the user's is lost to an output (issue 24, rows 1–3).

Outputs never land on inputs (``sprint19_unet.outputs``), an existing output folder is replaced only
when the same command wrote it, and ``atomic_directory`` removes only the temporaries its journal
proves are its own; a destination that is a symlink is followed, never renamed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import assert_one_line_error, run_cli

import sprint19_unet as s19
from sprint19_unet import Sprint19Error
from sprint19_unet.atomic import atomic_directory
from sprint19_unet.data.download import unpack_tgs
from sprint19_unet.outputs import OUTPUT_MANIFEST, check_output_folder, mark_output, overlap, refuse_overlap


def _tree(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def model_and_sample(tmp_path_factory):
    root = tmp_path_factory.mktemp("predict")
    sample = s19.write_salt_sample(root / "sample", n=6, test_n=3, seed=0)
    model = root / "run" / "model.keras"
    model.parent.mkdir()
    s19.build_unet((104, 104, 1), base_filters=2, depth=1).save(model)
    return model, sample


# === Row 1: outputs never overwrite inputs ===


def test_overlap_names_each_relation(tmp_path):
    (tmp_path / "data" / "masks").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "data")
    assert overlap(tmp_path / "data", tmp_path / "data") == "is"
    assert overlap(tmp_path / "link", tmp_path / "data") == "is"  # through the symlink
    assert overlap(tmp_path / "data" / "masks", tmp_path / "link") == "lies inside"
    assert overlap(tmp_path, tmp_path / "data" / "masks") == "contains"
    assert overlap(tmp_path / "masks", tmp_path / "data") is None
    assert overlap(tmp_path / "data-2", tmp_path / "data") is None  # a shared prefix is not nesting
    with pytest.raises(Sprint19Error, match=r"^--out '.*': expected an output apart .*; received a path that lies "
                                            r"inside --data '.*'\. Pick another\.$"):
        refuse_overlap("--out", tmp_path / "data" / "masks", {"--data": tmp_path / "data", "--x": None}, "Pick another.")


def test_predict_into_its_own_data_folder_is_refused_and_the_data_kept(model_and_sample):
    model, sample = model_and_sample
    before = _tree(sample)
    result = run_cli("predict", "--model", model, "--data", sample, "--out", sample)
    assert_one_line_error(result, r"--out '.*sample': expected an output apart from the command's inputs .*"
                                  r"received a path that is --data '.*sample'\. Write the masks .* elsewhere")
    assert _tree(sample) == before  # was: the 94-file dataset replaced by 12 mask PNGs, exit 0
    for inside in (sample / "test", sample / "test" / "masks"):
        assert_one_line_error(run_cli("predict", "--model", model, "--data", sample, "--out", inside),
                              r"received a path that lies inside --data")
    assert_one_line_error(run_cli("predict", "--model", model, "--data", sample / "test" / "images",
                                  "--out", sample / "test"), r"received a path that contains --data")
    assert_one_line_error(run_cli("predict", "--model", model, "--data", sample, "--out", model.parent),
                          r"received a path that contains --model")
    assert _tree(sample) == before and model.is_file()


def test_predict_never_replaces_a_train_csv_inside_the_data(model_and_sample):
    model, sample = model_and_sample
    labels = (sample / "train.csv").read_bytes()
    assert_one_line_error(run_cli("predict", "--model", model, "--data", sample, "--out", sample / "train.csv"),
                          r"--out '.*train\.csv': .* received a path that lies inside --data")
    assert (sample / "train.csv").read_bytes() == labels


def test_predict_replaces_only_a_folder_it_wrote(model_and_sample, tmp_path):
    model, sample = model_and_sample
    out = tmp_path / "masks"
    assert run_cli("predict", "--model", model, "--data", sample, "--out", out).returncode == 0
    written = sorted(path.name for path in out.iterdir())
    assert OUTPUT_MANIFEST in written and len(written) == 4  # three masks and the marker
    assert run_cli("predict", "--model", model, "--data", sample, "--out", out).returncode == 0  # ours: replaced

    theirs = tmp_path / "thesis"
    theirs.mkdir()
    (theirs / "chapter1.tex").write_text("mine")
    assert_one_line_error(run_cli("predict", "--model", model, "--data", sample, "--out", theirs),
                          r"--out '.*thesis': expected a new or empty folder, or one that predict wrote .*; "
                          r"received a folder that holds other files, e.g. \['chapter1\.tex'\]\. Choose another")
    assert (theirs / "chapter1.tex").read_text() == "mine"

    older = tmp_path / "older"  # a folder of masks from a version before the marker: PNGs only
    older.mkdir()
    (older / "abc.png").write_bytes(b"x")
    assert run_cli("predict", "--model", model, "--data", sample, "--out", older).returncode == 0
    assert not (older / "abc.png").exists() and (older / OUTPUT_MANIFEST).is_file()

    other = tmp_path / "other"
    other.mkdir()
    (other / "x.png").write_bytes(b"x")
    (other / OUTPUT_MANIFEST).write_text(json.dumps({"command": "demo"}))
    with pytest.raises(Sprint19Error, match=r"received a folder that the command 'demo' wrote"):
        check_output_folder(other, "predict", re.compile(r".+\.png"), "--out")


def test_train_refuses_an_output_dir_inside_its_data(tmp_path):
    sample = s19.write_salt_sample(tmp_path / "sample", n=6, test_n=1, seed=0)
    before = _tree(sample)
    result = run_cli("train", "--data", sample, "--output-dir", sample / "run", "--epochs", "1")
    assert_one_line_error(result, r"output_dir '.*sample/run': .* received a path that lies inside data '.*sample'")
    assert _tree(sample) == before


# === Row 2: our temporaries are ours by proof, not by name ===

LOOKALIKES = (".masks.previous", ".masks.20240101", ".masks.sprint19-0123456789abcdef", ".tgs.backup01", ".tgs.original")


def _lookalikes(parent: Path) -> None:
    for name in LOOKALIKES:
        (parent / name).mkdir()
        (parent / name / "keep.txt").write_text(name)


def test_predict_and_unpack_leave_lookalike_folders_alone(model_and_sample, tmp_path):
    model, sample = model_and_sample
    _lookalikes(tmp_path)
    assert run_cli("predict", "--model", model, "--data", sample, "--out", tmp_path / "masks").returncode == 0
    archive = tmp_path / "tgs.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(sample.rglob("*")):
            if path.is_file():
                zipped.write(path, path.relative_to(sample).as_posix())
    unpack_tgs(archive, tmp_path / "tgs", expected_counts=None)
    for name in LOOKALIKES:  # was: all deleted (any name with our prefix and 8 characters)
        assert (tmp_path / name / "keep.txt").read_text() == name
    ours = [entry.name for entry in tmp_path.iterdir() if ".sprint19-" in entry.name and entry.name not in LOOKALIKES]
    assert ours == []


def test_a_running_writers_temporaries_are_not_taken_for_leftovers(tmp_path):
    out = tmp_path / "masks"
    with atomic_directory(out) as first:
        (first / "a.txt").write_text("first")
        journal = next(tmp_path.glob(".masks.sprint19-*.json"))
        record = json.loads(journal.read_text())
        assert record["pid"] == os.getpid() and journal.name == f".masks.sprint19-{record['token']}.json"
        sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
        try:  # the same journal, as another process that still runs would have left it
            record["pid"] = sleeper.pid
            journal.write_text(json.dumps(record))
            from sprint19_unet.atomic import _recover

            _recover(out)
            assert (first / "a.txt").read_text() == "first"
        finally:
            sleeper.kill()
            sleeper.wait()
    assert (out / "a.txt").read_text() == "first"
    assert sorted(entry.name for entry in tmp_path.iterdir()) == ["masks"]


# === Row 3: a destination that is a symlink is followed, never renamed ===


def test_unpacking_into_a_symlinked_folder_fills_its_target(tmp_path):
    sample = s19.write_salt_sample(tmp_path / "sample", n=4, test_n=2, seed=0)
    target = tmp_path / "real"
    target.mkdir()
    link = tmp_path / "dest_link"
    link.symlink_to(target)
    unpack_tgs(sample, link, expected_counts=None)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert s19.load_tgs(link).ids == s19.load_tgs(sample).ids  # the data is where the link points
    hidden = [entry.name for entry in tmp_path.iterdir() if entry.name.startswith(".")]
    assert hidden == []  # was: the link renamed to a hidden .dest_link.XXXXXXXX, the data beside it


def test_replacing_a_symlinked_output_folder_keeps_the_link(tmp_path):
    target = tmp_path / "real"
    link = tmp_path / "masks"
    link.symlink_to(target, target_is_directory=True)
    for text in ("old", "new"):
        with atomic_directory(link) as folder:
            (folder / "a.txt").write_text(text)
            mark_output(folder, "predict")
    assert link.is_symlink() and (target / "a.txt").read_text() == "new"
    assert sorted(entry.name for entry in tmp_path.iterdir()) == ["masks", "real"]


def unwritable(tmp_path: Path) -> Path:
    """A folder nobody may write into; root ignores permissions, but not sysfs."""
    if os.geteuid() == 0:
        return Path("/sys/sprint19-unwritable/run")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    return locked / "run"


# === Output locations ===


def test_unwritable_output_location(tmp_path):
    target = unwritable(tmp_path)
    config = s19.TrainConfig(num_samples=20, batch_size=4, epochs=1, base_filters=2, depth=2, output_dir=str(target))
    with pytest.raises(Sprint19Error, match=r"expected a writable folder"):
        s19.train(config, verbose=0)
    assert_one_line_error(
        run_cli("train", "--num-samples", "20", "--batch-size", "4", "--epochs", "1", "--base-filters", "2", "--depth", "2", "--output-dir", target),
        r"expected a writable folder",
    )
    with pytest.raises(Sprint19Error, match=r"expected a writable folder"):
        s19.write_submission(["a"], np.zeros((1, 4, 4)), target.parent / "submission.csv")
    assert not target.exists()
