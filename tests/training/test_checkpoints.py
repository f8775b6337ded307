"""A run directory (training/checkpoints.py): only our own files are ever deleted, a damaged or
half-written run is refused before anything is touched, and resume repairs what a kill left."""

import shutil
import warnings
from pathlib import Path

import keras
import numpy as np
import pytest
from fit_helpers import PoisonWeightsAtEpoch
from cli_helpers import assert_one_line_error, run_cli

import sprint19_unet as s19
from sprint19_unet import Sprint19Error
from sprint19_unet.training.sanity import AllBlackWarning


# === A run directory: only our own files are ever deleted (issue 14, findings 1 and 2) ===


def test_repair_removes_only_our_own_temporary_files(tmp_path):
    from sprint19_unet.training.checkpoints import RunDirectory

    run = RunDirectory(tmp_path / "run")
    (run.resume_dir).mkdir(parents=True)
    mine = [run.path / ".model.sprint19-ab12cd_3.keras", run.path / ".history.sprint19-x1y2z3w4.csv",
            run.resume_dir / ".epoch_0003.sprint19-abcdefgh.keras", run.resume_dir / ".state.sprint19-abcdefgh.json"]
    theirs = [run.path / ".gitignore", run.path / ".env", run.path / ".model.keras.bak", run.resume_dir / ".notes",
              run.path / ".model.backup01.keras", run.resume_dir / ".state.original.json"]  # our old names' shape
    for path in mine + theirs:
        path.write_text("x")
    run.repair(None)
    assert [path.exists() for path in mine] == [False] * len(mine)
    assert [path.exists() for path in theirs] == [True] * len(theirs)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"checkpoint": "../../victim.keras"}, "inside resume/.*received checkpoint '../../victim.keras'"),
        ({"checkpoint": "/etc/victim.keras"}, "checkpoint '/etc/victim.keras'"),
        ({"epoch": None}, "completed epochs.*received epoch None"),
        ({"epoch": "3"}, "epoch '3'"),
    ],
)
def test_a_tampered_resume_state_is_refused_and_deletes_nothing(tmp_path, change, message):
    import json

    from sprint19_unet.training.checkpoints import STATE_VERSION, RunDirectory

    victim = tmp_path / "victim.keras"
    victim.write_text("not ours")
    run = RunDirectory(tmp_path / "runs" / "run")
    run.resume_dir.mkdir(parents=True)
    state = {"epoch": 3, "checkpoint": "epoch_0003.keras", "version": STATE_VERSION, **change}
    state = {key: value for key, value in state.items() if value is not None}
    run.state_path.write_text(json.dumps(state))
    with pytest.raises(Sprint19Error, match=message):
        run.load_state()
    assert victim.read_text() == "not ours"


# === A damaged or half-written run: refused before anything is touched, repaired on resume (issue 14) ===


TINY_RUN = dict(num_samples=24, batch_size=8, epochs=2, base_filters=2, depth=2, augment=False)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    """A completed two-epoch run; tests copy it before changing it."""
    run_dir = tmp_path_factory.mktemp("finished") / "run"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AllBlackWarning)
        s19.train(s19.TrainConfig(**TINY_RUN, output_dir=str(run_dir)), verbose=0)
    return run_dir


def _copy_run(finished_run: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(finished_run, tmp_path / "run"))


def _snapshot(folder: Path) -> dict:
    return {path.relative_to(folder): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.mark.slow
def test_resume_repairs_a_history_left_one_epoch_behind(finished_run, tmp_path):
    # finding 3: a kill after the last epoch's state but before its history.csv left the history
    # behind for good, and --resume reported success without repairing it
    run_dir = _copy_run(finished_run, tmp_path)
    lines = (run_dir / "history.csv").read_text().splitlines()
    (run_dir / "history.csv").write_text("\n".join(lines[:2]) + "\n")  # header and epoch 1 only
    _, history = s19.train(s19.TrainConfig(**TINY_RUN, output_dir=str(run_dir)), resume=True, verbose=0)
    assert history["epoch"] == [1, 2]
    assert (run_dir / "history.csv").read_text().splitlines() == lines


def _truncate_checkpoint(run_dir: Path) -> None:
    checkpoint = next((run_dir / "resume").glob("epoch_*.keras"))
    checkpoint.write_bytes(checkpoint.read_bytes()[:1000])


def _drop_epoch(run_dir: Path) -> None:
    import json

    state = json.loads((run_dir / "resume" / "state.json").read_text())
    del state["epoch"]
    (run_dir / "resume" / "state.json").write_text(json.dumps(state))


DAMAGED_RUNS = {
    "truncated checkpoint": (_truncate_checkpoint, r"resume checkpoint '.*epoch_0002\.keras': expected the checkpoint .*; received a damaged file"),
    "deleted checkpoint": (lambda run_dir: next((run_dir / "resume").glob("epoch_*.keras")).unlink(),
                           r"resume checkpoint '.*epoch_0002\.keras': expected the checkpoint .*; received a missing file"),
    "state without epoch": (_drop_epoch, r"resume state '.*state\.json': expected the number of completed epochs .*received epoch None"),
    "state with deep JSON": (lambda run_dir: (run_dir / "resume" / "state.json").write_text("[" * 100_000),
                             r"resume state '.*state\.json': expected the JSON this package writes; received JSON nested too deeply"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", DAMAGED_RUNS)
def test_a_damaged_resume_point_is_refused_before_anything_is_touched(case, finished_run, tmp_path):
    # finding 14: Keras's misleading "File not found", a KeyError, "expected a writable folder"
    damage, pattern = DAMAGED_RUNS[case]
    run_dir = _copy_run(finished_run, tmp_path)
    damage(run_dir)
    (run_dir / "history.csv").write_text("epoch\n1\n")  # a resume would rewrite it: it must not get that far
    before = _snapshot(run_dir)
    with pytest.raises(Sprint19Error, match=pattern):
        s19.train(s19.TrainConfig(**{**TINY_RUN, "epochs": 3}, output_dir=str(run_dir)), resume=True, verbose=0)
    if case == "truncated checkpoint":
        assert_one_line_error(run_cli("train", "--config", run_dir / "config.json", "--output-dir", run_dir,
                                       "--epochs", 3, "--resume"), pattern)
    assert _snapshot(run_dir) == before


@pytest.mark.parametrize("existing", [False, True])
def test_a_run_that_fails_before_its_first_epoch_leaves_the_folder_as_found(existing, tmp_path):
    # finding 19: a failed run left config.json (and resume/) behind as if it were a run
    run_dir = tmp_path / "run" if existing else tmp_path / "runs" / "today" / "run"  # new parents go too
    if existing:
        run_dir.mkdir()
        (run_dir / "notes.txt").write_text("mine")
    config = s19.TrainConfig(**TINY_RUN, output_dir=str(run_dir))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AllBlackWarning)
        with pytest.raises(Sprint19Error, match=r"NaN or Inf in epoch 1.*Nothing was saved"):
            s19.train(config, callbacks=[PoisonWeightsAtEpoch(0)], verbose=0)
    if existing:
        assert _snapshot(run_dir) == {Path("notes.txt"): b"mine"}
        assert [path.name for path in run_dir.iterdir()] == ["notes.txt"]
    else:
        assert list(tmp_path.iterdir()) == []


def test_a_config_file_nested_too_deeply_or_with_a_bom(tmp_path):
    # finding 11 (RecursionError) and finding 9's "accept a BOM everywhere a user saves JSON"
    deep = tmp_path / "deep.json"
    deep.write_text('{"epochs": ' + "[" * 100_000)
    with pytest.raises(Sprint19Error, match=r"config file '.*deep\.json': expected a JSON object of field: value; received JSON nested too deeply"):
        s19.TrainConfig.from_json(deep)
    assert_one_line_error(run_cli("train", "--config", deep, "--output-dir", tmp_path / "run"), "nested too deeply")
    assert not (tmp_path / "run").exists()
    bom = tmp_path / "bom.json"
    bom.write_bytes(b'\xef\xbb\xbf{"epochs": 3}')
    assert s19.TrainConfig.from_json(bom).epochs == 3
    latin = tmp_path / "latin.json"
    latin.write_bytes(b'{"output_dir": "caf\xe9"}')
    with pytest.raises(Sprint19Error, match=r"config file '.*latin\.json'.*received bytes that are not UTF-8.*Save the file as UTF-8"):
        s19.TrainConfig.from_json(latin)


def test_tensorboard_without_tensorboard_installed_is_refused_before_training(tmp_path):
    import importlib.util

    if importlib.util.find_spec("tensorboard") is not None:
        pytest.skip("TensorBoard is installed here; the refusal is for machines without it")
    run_dir = tmp_path / "run"
    with pytest.raises(Sprint19Error, match=r"tensorboard: expected TensorBoard installed.*pip install tensorboard"):
        s19.train(s19.TrainConfig(**TINY_RUN, tensorboard=True, output_dir=str(run_dir)), verbose=0)
    assert not run_dir.exists()


def _classifier(path: Path) -> Path:
    inputs = keras.Input((16, 16, 1))
    keras.Model(inputs, keras.layers.Dense(3)(keras.layers.Flatten()(inputs))).save(path)
    return path


def _two_inputs(path: Path) -> Path:
    first, second = keras.Input((16, 16, 1)), keras.Input((16, 16, 1))
    keras.Model([first, second], keras.layers.Conv2D(1, 1)(keras.layers.Add()([first, second]))).save(path)
    return path


@pytest.mark.parametrize(
    ("make", "pattern"),
    [
        (_classifier, r"model '.*classifier\.keras': expected \(batch, height, width, channels\) for both.*received input shape \(None, 16, 16, 1\) and output shape \(None, 3\)"),
        (_two_inputs, r"model '.*two_inputs\.keras': expected one image input and one per-pixel output; received a model with 2 inputs and 1 outputs"),
    ],
)
def test_a_keras_model_that_is_not_a_segmentation_model(make, pattern, sample, tmp_path):
    # finding 13: "ValueError: not enough values to unpack" and a garbled message for two inputs
    path = make(tmp_path / f"{make.__name__.strip('_')}.keras")
    with pytest.raises(Sprint19Error, match=pattern):
        s19.predict_to_files(path, sample / "test", tmp_path / "masks")
    model = keras.models.load_model(path)
    with pytest.raises(Sprint19Error, match=r"^model: expected .*" + pattern.split("expected ")[1].split(";")[0]):
        s19.predict_masks(model, np.zeros((1, 16, 16, 1), "float32"))
    assert_one_line_error(run_cli("predict", "--model", path, "--data", sample / "test", "--out", tmp_path / "masks"), pattern)
    assert not (tmp_path / "masks").exists()
