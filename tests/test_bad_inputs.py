"""The bad-input matrix: every case gives one clear message, through the API and the CLI.

For each case the Python API raises ``Sprint19Error`` whose message names the file
or argument, and the CLI exits with code 2, prints exactly one
``sprint19-unet: error:`` line with the same message, no traceback, and writes
nothing (no run directory, no submission, no mask folder).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

import sprint19_unet as s19
from sprint19_unet import Sprint19Error
from sprint19_unet.training.sanity import AllBlackWarning

from cli_helpers import assert_one_line_error, run_cli



def unwritable(tmp_path: Path) -> Path:
    """A folder nobody may write into; root ignores permissions, but not sysfs."""
    if os.geteuid() == 0:
        return Path("/sys/sprint19-unwritable/run")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    return locked / "run"


# === Data folders: one mutation of a valid Kaggle sample each ===


def _first(root: Path, kind: str = "images") -> Path:
    return sorted((root / "train" / kind).glob("*.png"))[0]


def _write_rle(value: str):
    def mutate(root: Path) -> None:
        shutil.rmtree(root / "train" / "masks")  # masks come from train.csv alone
        lines = (root / "train.csv").read_text().splitlines()
        lines[1] = lines[1].split(",")[0] + "," + value
        (root / "train.csv").write_text("\n".join(lines) + "\n")

    return mutate


def _edit_csv(edit):
    def mutate(root: Path) -> None:
        lines = (root / "train.csv").read_text().splitlines()
        (root / "train.csv").write_text("\n".join(edit(lines)) + "\n")

    return mutate


RLE = r"CSV file '.*train\.csv', id '\w+': "

DATA_CASES = {
    "truncated image": (lambda r: _first(r).write_bytes(_first(r).read_bytes()[:120]), r"image '.*\.png': expected a complete image file; received a truncated"),
    "zero-byte image": (lambda r: _first(r).write_bytes(b""), r"image '.*\.png': expected an image file with content; received a zero-byte file"),
    "text file named .png": (lambda r: _first(r).write_text("<html>404</html>"), r"image '.*\.png': expected a valid image file; received a file Pillow cannot read"),
    "image/mask size mismatch": (lambda r: Image.fromarray(np.zeros((50, 50), np.uint8)).save(_first(r, "masks")), r"mask '.*\.png': expected the size of its image .*101×101; received size 50×50"),
    "image without mask": (lambda r: _first(r, "masks").unlink(), r"masks folder '.*train/masks': expected one mask per image .*received no mask for 1 images"),
    "mask without image": (lambda r: shutil.copy(_first(r, "masks"), r / "train" / "masks" / "orphan.png"), r"received 1 masks without an image: 'orphan'"),
    "empty images folder": (lambda r: [p.unlink() for p in (r / "train" / "images").glob("*")], r"images folder '.*train/images': expected image files .*received an empty folder"),
    "RGBA image with transparency": (
        lambda r: Image.fromarray(np.dstack([np.zeros((101, 101, 3), np.uint8), np.full((101, 101), 90, np.uint8)])).save(_first(r)),
        r"image '.*\.png': expected no transparency .*received an alpha channel with 10201 transparent pixels",
    ),
    "mask with unexpected values": (lambda r: Image.fromarray(np.full((101, 101), 128, np.uint8)).save(_first(r, "masks")), r"mask '.*\.png': expected a binary mask with values \{0, 255\} or \{0, 1\}; received values \{128\}"),
    "train.csv missing a column": (_edit_csv(lambda lines: ["id"] + [line.split(",")[0] for line in lines[1:]]), r"CSV file '.*train\.csv': expected a header with the columns id,rle_mask; received columns \['id'\]"),
    "train.csv duplicate id": (_edit_csv(lambda lines: lines + [lines[1]]), r"CSV file '.*train\.csv': expected each id once; received the id '\w+' twice"),
    "train.csv id without image": (_edit_csv(lambda lines: lines + ["deadbeef00,"]), r"expected an image for every id in train\.csv; received 1 ids without an image .*'deadbeef00'"),
    "RLE with an odd count": (_write_rle("1 2 3"), RLE + r"expected 'start length' pairs, so an even number of values; received an odd number of values \(3\)"),
    "RLE not numeric": (_write_rle("1 x"), RLE + r"expected whole numbers only.*; received the non-numeric token 'x'"),
    "RLE zero length": (_write_rle("1 0"), RLE + r"expected every length >= 1; received run #1 with length 0"),
    "RLE negative length": (_write_rle("5 -2"), RLE + r"expected every length >= 1; received run #1 with length -2"),
    "RLE overlapping runs": (_write_rle("1 5 3 2"), RLE + r"expected non-overlapping runs; received overlapping runs"),
    "RLE out of range": (_write_rle("10200 5"), RLE + r"expected every run inside the image; received run #1 covering pixels 10200\.\.10204"),
    "RLE unsorted": (_write_rle("50 2 1 2"), RLE + r"expected starts in increasing order; received unsorted starts"),
}


TRAIN_CLI_CASES = ("truncated image", "image without mask", "train.csv duplicate id", "RLE overlapping runs")


@pytest.fixture
def sample(tmp_path) -> Path:
    return s19.write_salt_sample(tmp_path / "tgs", n=8, test_n=3, seed=0)


@pytest.mark.parametrize("case", DATA_CASES)
def test_bad_data_folder_api_and_cli(case, sample, tmp_path):
    mutate, pattern = DATA_CASES[case]
    mutate(sample)
    with pytest.raises(Sprint19Error, match=pattern):
        s19.load_tgs(sample)
    assert_one_line_error(run_cli("data", "describe", sample), pattern)
    if case in TRAIN_CLI_CASES:  # training reads through the same loader; check a few end to end
        run_dir = tmp_path / "run"
        assert_one_line_error(run_cli("train", "--data", sample, "--output-dir", run_dir, "--epochs", "1"), pattern)
        assert not run_dir.exists()  # nothing partially written


# === Paths ===


def test_missing_folder(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(Sprint19Error, match=r"data '.*nowhere': expected .*; received a path that does not exist"):
        s19.load_dataset(missing)
    assert_one_line_error(run_cli("train", "--data", missing), r"received a path that does not exist")
    assert_one_line_error(run_cli("data", "describe", missing), r"nowhere")


def test_file_instead_of_folder(tmp_path):
    file = tmp_path / "train.zip"
    file.write_bytes(b"PK")
    with pytest.raises(Sprint19Error, match=r"train\.zip"):
        s19.load_tgs(file)
    assert_one_line_error(run_cli("data", "describe", file), r"train\.zip")
    assert_one_line_error(run_cli("predict", "--model", file, "--data", tmp_path, "--out", tmp_path / "s.csv"), r"model '.*train\.zip': expected a \.keras model file; received a file that is not a \.keras archive")


# === Models ===


def test_model_file_that_is_not_a_model(tmp_path, sample):
    fake = tmp_path / "model.keras"
    fake.write_text("this is not a model")
    with pytest.raises(Sprint19Error, match=r"model '.*model\.keras': expected a \.keras model file; received a file that is not a \.keras archive"):
        s19.load_model(fake)
    assert_one_line_error(run_cli("evaluate", "--model", fake, "--data", sample), r"not a \.keras archive")


def test_model_of_the_wrong_input_channels(tmp_path, sample):
    rgb_model = s19.build_unet((64, 64, 3), base_filters=2, depth=2)
    rgb_model.save(tmp_path / "rgb.keras")
    pattern = r"images: expected 3 channel\(s\), as the model was trained on; received 1"
    with pytest.raises(Sprint19Error, match=pattern):
        s19.predict_masks(rgb_model, np.zeros((1, 101, 101, 1), "float32"))
    out = tmp_path / "submission.csv"
    assert_one_line_error(run_cli("predict", "--model", tmp_path / "rgb.keras", "--data", sample, "--out", out), pattern)
    assert not out.exists()


def test_impossible_input_size(tmp_path):
    pattern = r"input size 101: expected a multiple of 2\*\*depth = 16 .*Nearest valid sizes: 96 or 112"
    with pytest.raises(Sprint19Error, match="input_shape height: " + pattern):
        s19.build_unet((101, 101, 1))
    with pytest.raises(Sprint19Error, match="config field 'input_size': " + pattern):
        s19.TrainConfig(input_size=101)
    run_dir = tmp_path / "run"
    assert_one_line_error(run_cli("train", "--input-size", "101", "--num-samples", "8", "--output-dir", run_dir), pattern)
    assert not run_dir.exists()


def test_batch_size_larger_than_the_data(tmp_path):
    pattern = r"batch_size: expected at most \d+; received 64 for \d+ training tiles per epoch"
    config = s19.TrainConfig(num_samples=20, batch_size=64, output_dir=str(tmp_path / "api"))
    with pytest.raises(Sprint19Error, match=pattern):
        s19.train(config, verbose=0)
    run_dir = tmp_path / "run"
    assert_one_line_error(run_cli("train", "--num-samples", "20", "--batch-size", "64", "--output-dir", run_dir), pattern)
    assert not run_dir.exists() and not (tmp_path / "api").exists()


def test_nan_pixels_are_refused_before_training_and_prediction(tmp_path):
    images, masks, _ = s19.make_salt_dataset(12, seed=0)
    images = images.astype("float32")
    images[3, 10, 20, 0] = np.nan
    images[5, 0, 0, 0] = np.inf
    data = s19.SegmentationData([f"id{i}" for i in range(12)], images, masks)
    pattern = r"data\.images: expected finite values; received 1 NaN and 1 infinite values \(the first at index \(3, 10, 20, 0\)\)\. Replace them"
    config = s19.TrainConfig(num_samples=12, batch_size=4, base_filters=4, depth=2, input_size=32,
                             output_dir=str(tmp_path / "run"))
    with pytest.raises(Sprint19Error, match=pattern):
        s19.train(config, data, verbose=0)
    assert not (tmp_path / "run").exists()
    model = s19.build_unet((32, 32, 1), base_filters=2, depth=2)
    with pytest.raises(Sprint19Error, match=r"^images: expected finite values; received 1 NaN and 1 infinite"):
        s19.predict_masks(model, images[:, :32, :32])


@pytest.mark.parametrize(
    "field, value, pattern",
    [
        ("scale", 0.0, r"config field 'scale': expected a number in \(0, 4\]; received 0\.0"),
        ("scale", float("nan"), r"config field 'scale'"),
        ("tiles_per_epoch", 0, r"config field 'tiles_per_epoch': expected None or an integer in \[1, 1,000,000\]"),
        ("border_class", 3, r"config field 'border_class': expected a class id below num_classes; received 3"),
        ("class_balance", "pixel", r"config field 'class_balance': expected 'dataset', 'image' or 'none'"),
    ],
)
def test_bad_tile_and_weight_map_settings(field, value, pattern):
    with pytest.raises(Sprint19Error, match=pattern):
        s19.TrainConfig(**{field: value})


def test_bad_scale_on_the_command_line_and_unlabelled_evaluation(tmp_path):
    run_dir = tmp_path / "run"
    assert_one_line_error(run_cli("train", "--scale", "0", "--output-dir", run_dir), r"config field 'scale'")
    assert not run_dir.exists()
    images = tmp_path / "unlabelled" / "images"
    images.mkdir(parents=True)
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(images / "a.png")
    model = tmp_path / "model.keras"
    s19.build_unet((8, 8, 1), base_filters=2, depth=1).save(model)
    pattern = r"data '.*unlabelled': expected labelled images: a masks/ folder .*; received image folders without masks"
    assert_one_line_error(run_cli("evaluate", "--model", model, "--data", tmp_path / "unlabelled"), pattern)


def test_config_file_with_an_unknown_field(tmp_path):
    config = tmp_path / "config.json"
    config.write_text('{"epochs": 2, "learning_rte": 0.01}')
    pattern = r"config file '.*config\.json': field 'learning_rte': .*Did you mean 'learning_rate'\?"
    with pytest.raises(Sprint19Error, match=pattern):
        s19.TrainConfig.from_json(config)
    assert_one_line_error(run_cli("train", "--config", config, "--output-dir", tmp_path / "run"), pattern)


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


# === Submissions ===


def test_submission_ids_that_do_not_match_the_test_set(tmp_path, sample):
    test = s19.load_tgs(sample, split="test")
    wrong = tmp_path / "submission.csv"
    s19.write_submission(test.ids[:-1] + ["stranger"], np.zeros((len(test.ids), 101, 101), "uint8"), wrong)
    pattern = r"submission '.*submission\.csv': expected exactly the ids of the test images; received 1 test ids missing .* and 1 unknown ids \(stranger\)"
    with pytest.raises(Sprint19Error, match=pattern):
        s19.check_submission(wrong, test.ids)
    assert_one_line_error(run_cli("check-submission", wrong, "--data", sample), pattern)
    with pytest.raises(Sprint19Error, match=r"1 test ids missing"):
        s19.write_submission(test.ids[:-1], np.zeros((len(test.ids) - 1, 101, 101), "uint8"), tmp_path / "s2.csv", expected_ids=test.ids)
    assert not (tmp_path / "s2.csv").exists()


def test_a_correct_submission_passes_the_check(tmp_path, sample):
    test = s19.load_tgs(sample, split="test")
    path = s19.write_submission(test.ids, np.zeros((len(test.ids), 101, 101), "uint8"), tmp_path / "submission.csv")
    result = run_cli("check-submission", path, "--data", sample)
    assert result.returncode == 0 and f"ok — {len(test.ids)} rows" in result.stdout


# === Converted, not refused: said clearly ===


def test_16_bit_and_palette_images_are_converted_and_logged(sample, caplog):
    first = _first(sample)
    pixels = np.asarray(Image.open(first))
    Image.fromarray(pixels.astype(np.uint16) * 257).save(first)
    second = sorted((sample / "train" / "images").glob("*.png"))[1]
    Image.fromarray(np.asarray(Image.open(second))).convert("P").save(second)
    with caplog.at_level(logging.INFO, logger="sprint19_unet"):
        data = s19.load_tgs(sample)
    assert data.images.dtype == np.float32 and 0 <= data.images.min() and data.images.max() <= 1
    np.testing.assert_allclose(data.images[0, ..., 0], pixels / 255.0, atol=1e-6)  # same picture, rescaled
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert first.name in logged and "16-bit" in logged


def test_all_empty_training_masks_warn_but_do_not_crash(sample, tmp_path):
    for mask in (sample / "train" / "masks").glob("*.png"):
        Image.fromarray(np.zeros((101, 101), np.uint8)).save(mask)
    (sample / "train.csv").unlink()
    with pytest.warns(UserWarning, match=r"all 8 masks are empty .* all black"):
        data = s19.load_tgs(sample)
    assert data.masks.sum() == 0
    result = run_cli("data", "describe", sample)
    assert result.returncode == 0
    assert "sprint19-unet: warning:" in result.stderr and "Traceback" not in result.stderr


# === NaN in the loss: stop cleanly, keep the last good checkpoint ===


class _PoisonWeightsAtEpoch(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            layer = self.model.get_layer("output_conv1x1")
            layer.set_weights([np.full_like(w, np.nan) for w in layer.get_weights()])


@pytest.mark.slow
def test_nan_loss_stops_cleanly_and_keeps_the_last_good_checkpoint(tmp_path):
    run_dir = tmp_path / "run"
    config = s19.TrainConfig(
        num_samples=24, batch_size=8, epochs=4, base_filters=2, depth=2, augment=False, output_dir=str(run_dir)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AllBlackWarning)
        with pytest.raises(Sprint19Error, match=r"loss: expected finite values; received NaN or Inf in epoch 2, so training stopped\. The last good checkpoint \(epoch 1\) is kept"):
            s19.train(config, callbacks=[_PoisonWeightsAtEpoch(1)], verbose=0)
    from sprint19_unet.training.checkpoints import RunDirectory

    state = RunDirectory(run_dir).load_state()
    assert state["epoch"] == 1
    model = keras.models.load_model(run_dir / "model.keras")
    assert all(np.isfinite(w).all() for w in model.get_weights())


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


# === Values that passed validation and then hung, overflowed or silently did nothing (issue 14) ===


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("learning_rate", float("inf"), "learning_rate.*positive finite"),
        ("learning_rate", float("nan"), "learning_rate.*positive finite"),
        ("seed", 2**32, "seed.*4294967295"),
        ("monitor", "val_tgs_scor", "monitor.*val_tgs_score"),
        ("depth", 64, r"depth.*\[1, 10\]"),
        ("input_size", 65536, r"input_size.*\[8, 4096\]"),
    ],
)
def test_config_values_out_of_range_are_refused_at_once(field, value, message):
    import time

    start = time.perf_counter()
    with pytest.raises(Sprint19Error, match=message):
        s19.TrainConfig(**{field: value})
    assert time.perf_counter() - start < 5  # depth 64 used to hang in nearest_valid_input_sizes


def test_tgs_score_is_no_monitor_for_several_classes():
    with pytest.raises(Sprint19Error, match="monitor.*only for num_classes=1"):
        s19.TrainConfig(num_classes=3, loss="sparse_cce", monitor="val_tgs_score")


@pytest.mark.parametrize("threshold", [float("nan"), 1.0, -0.1, "0.5"])
def test_predict_refuses_a_threshold_outside_0_1(threshold):
    from sprint19_unet.unet.model import build_unet
    from sprint19_unet.estimation.predict import predict_masks

    model = build_unet((32, 32, 1), base_filters=2, depth=1)
    with pytest.raises(Sprint19Error, match=r"threshold.*\[0, 1\)"):
        predict_masks(model, np.zeros((1, 32, 32, 1), "float32"), threshold=threshold)


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True])
def test_predict_refuses_a_batch_size_that_is_not_a_positive_integer(batch_size):
    from sprint19_unet.unet.model import build_unet
    from sprint19_unet.estimation.predict import predict_probabilities

    model = build_unet((32, 32, 1), base_filters=2, depth=1)
    with pytest.raises(Sprint19Error, match="batch_size"):
        predict_probabilities(model, np.zeros((1, 32, 32, 1), "float32"), batch_size=batch_size)


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
            s19.train(config, callbacks=[_PoisonWeightsAtEpoch(0)], verbose=0)
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


# === The demo replaces only what a previous demo wrote, and only once its arguments passed ===


def test_the_demo_never_deletes_what_it_did_not_write(tmp_path):
    from sprint19_unet.teaching.demo import run_demo

    previous = tmp_path / "run" / "model.keras"
    previous.parent.mkdir()
    previous.write_text("a previous demo's model")
    with pytest.raises(Sprint19Error, match=r"epochs: expected an integer ≥ 1"):
        run_demo(tmp_path, epochs=0, show=False)
    assert previous.read_text() == "a previous demo's model"  # was deleted before epochs was checked
    (tmp_path / "run" / "thesis.tex").write_text("mine")
    with pytest.raises(Sprint19Error, match=r"demo output '.*run': expected nothing, or what a previous demo wrote there .*received a folder that also holds \['thesis\.tex'\]\. Choose another --out"):
        run_demo(tmp_path, epochs=1, show=False)
    assert (tmp_path / "run" / "thesis.tex").read_text() == "mine" and previous.exists()
