"""Issue 25's protocol: the epoch chosen by the challenge's Rand F-score of whole validation images,
the ablation's switches, the headline chosen on validation figures only, and the ablation's chart."""

import dataclasses
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import sprint19_unet as s19
from sprint19_unet.data.augment import AugmentConfig
from sprint19_unet.errors import Sprint19Error
from sprint19_unet.training.fit import monitored_metric
from sprint19_unet.estimation.whole_validation import WholeImageValidation, membrane_probability

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load_benchmark(name):
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCHMARKS))


def cells(count, size=48, seed=0):
    """Grey cells separated by dark one-to-two-pixel membranes (1 = membrane), like an EM slice."""
    rng = np.random.default_rng(seed)
    images, masks = [], []
    for _ in range(count):
        membrane = np.zeros((size, size), bool)
        for position in rng.choice(np.arange(6, size - 6), 3, replace=False):
            membrane[:, position : position + 2] = True
        for position in rng.choice(np.arange(6, size - 6), 2, replace=False):
            membrane[position, :] = True
        image = np.where(membrane, 0.2, 0.7) + rng.normal(0, 0.05, (size, size))
        images.append(np.clip(image, 0, 1)[..., None])
        masks.append(membrane[..., None].astype("float32"))
    return s19.SegmentationData(np.array([f"{i:02d}" for i in range(count)]), np.array(images, "float32"),
                                np.array(masks))


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::sprint19_unet.AllBlackWarning")  # the TGS score means nothing for membranes
def test_monitor_val_rand_f_logs_the_challenge_rand_f_of_the_whole_validation_images(tmp_path):
    data = cells(10)
    config = s19.TrainConfig(
        data="unused", input_size=32, depth=2, base_filters=4, batch_size=4, epochs=2, tiles_per_epoch=8,
        learning_rate=1e-2, monitor="val_rand_f", augment=False, output_dir=str(tmp_path / "run"), seed=3,
    )
    model, history = s19.train(config, data=data, verbose=0)
    assert len(history["val_rand_f"]) == 2 and len(history["val_pixel_f"]) == 2
    assert all(0.0 <= value <= 1.0 for value in history["val_rand_f"] + history["val_pixel_f"])
    # the best epoch is the checkpoint kept: its whole-image Rand F, recomputed here, is the logged maximum
    val_index = s19.split_indices(data, config.val_fraction, config.seed)[1]
    probabilities = s19.predict_probabilities(model, data.images[val_index])
    errors = s19.isbi_challenge_errors(data.masks[val_index], probabilities)
    assert 1.0 - errors["rand_error"] == pytest.approx(max(history["val_rand_f"]), abs=1e-6)
    saved = json.loads((tmp_path / "run" / "resume" / "state.json").read_text())
    assert saved["best"] == pytest.approx(max(history["val_rand_f"]))


def test_whole_image_validation_adds_its_f_scores_before_the_checkpoint_reads_them():
    data = cells(2, size=32)
    model = s19.build_unet((32, 32, 1), base_filters=4, depth=2)
    callback = WholeImageValidation(data.images, data.masks)
    callback.set_model(model)
    logs = {"val_loss": 1.0}
    callback.on_epoch_end(0, logs)
    errors = s19.isbi_challenge_errors(data.masks, s19.predict_probabilities(model, data.images))
    assert logs["val_rand_f"] == pytest.approx(1.0 - errors["rand_error"])
    assert logs["val_pixel_f"] == pytest.approx(1.0 - errors["pixel_error"])
    np.testing.assert_allclose(membrane_probability(np.array([[[[0.9, 0.1]]]])), [[[[0.1]]]])  # softmax: class 1


def test_the_whole_image_monitors_are_refused_for_more_than_two_classes():
    assert monitored_metric(s19.TrainConfig(monitor="val_rand_f")) == ("val_rand_f", "max")
    s19.TrainConfig(monitor="val_pixel_f", num_classes=2, loss="weighted_cce").validate()
    with pytest.raises(Sprint19Error, match=r"monitor.*val_rand_f and val_pixel_f for at most 2"):
        s19.TrainConfig(monitor="val_rand_f", num_classes=3, loss="sparse_cce").validate()


def test_paper_rigid_is_the_papers_augmentation_without_the_elastic_deformation():
    rigid = AugmentConfig.preset("paper_rigid")
    assert rigid == dataclasses.replace(AugmentConfig.paper(), elastic=False)
    assert rigid.enabled == ("horizontal_flip", "vertical_flip", "rotate90", "affine", "intensity")
    s19.TrainConfig(augmentation="paper_rigid").validate()
    with pytest.raises(Sprint19Error, match="augmentation.*'paper_rigid'"):
        s19.TrainConfig(augmentation="rigid").validate()


def test_the_paper_size_settings_make_a_valid_config():
    quality = load_benchmark("isbi_quality")
    args = quality.parse_args(["--paper-size"])
    config = quality.train_config(args)
    config.validate()
    assert (config.input_size, config.padding, config.base_filters, config.optimizer, config.batch_size) == (
        572, "valid", 64, "sgd", 1)
    assert (config.loss, config.batch_norm, config.dropout, config.monitor, config.workers) == (
        "weighted_cce", False, 0.5, "val_rand_f", 8)
    assert s19.unet_output_size(572, 4, "valid") == 388


def fake_run(validation_rand, test_rand, tta_gain=0.01):
    def scores(gain):
        return {"threshold": 0.5,
                "validation": {"pixel_error": 0.1, "rand_error": validation_rand - gain, "rand_error_at_threshold": 0.3,
                               "misclassified_fraction": 0.1, "iou": 0.7},
                "test": {"pixel_error": 0.1, "rand_error": test_rand - gain, "rand_error_at_threshold": 0.3,
                         "misclassified_fraction": 0.1, "iou": 0.7}}
    return {"date": "2026-12-07", "processor": "test", "configuration": "c", "epochs": 3, "best_epoch": 2,
            "train_minutes": 1.0, "baseline": {"pixel_error": 0.11, "rand_error": 0.9},
            "scores": {"none": scores(0.0), "dihedral": scores(tta_gain)}}


def test_the_ablation_names_the_headline_by_the_validation_rand_error_never_the_test_slices(tmp_path, monkeypatch, capsys):
    ablation = load_benchmark("isbi_ablation")
    # row 2 is best on validation, row 3 best on the test slices: the headline must be row 2
    runs = iter([fake_run(0.30, 0.20), fake_run(0.10, 0.25), fake_run(0.20, 0.05), fake_run(0.40, 0.40)])
    calls = []
    monkeypatch.setattr(ablation, "run_row", lambda arguments, minutes, seed, out: calls.append(arguments) or next(runs))
    assert ablation.main(["--minutes", "1", "--json", str(tmp_path / "a.json")]) == 0
    assert len(calls) == 4  # the no-TTA row reuses the first row's model
    written = json.loads((tmp_path / "a.json").read_text())
    assert [row["row"] for row in written["rows"]] == [row[0] for row in ablation.ROWS]
    assert written["headline_rule"] == "plain cross-entropy"
    first, no_tta = written["rows"][0], written["rows"][-1]
    assert first["test"]["rand_error"] == pytest.approx(0.19) and no_tta["test"]["rand_error"] == pytest.approx(0.20)
    assert "lowest validation Rand error (the headline's configuration): plain cross-entropy" in capsys.readouterr().out
    # each row switches exactly one idea off the first row's arguments
    assert calls[1][-4:] == ["--loss", "bce", "--tta", "dihedral"]
    assert calls[2][-4:] == ["--augmentation", "paper_rigid", "--tta", "dihedral"]


def test_plot_ablation_draws_one_bar_per_row_and_the_papers_line(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    rows = [{"row": name, "test": {"pixel_error": 0.05 + i / 100, "rand_error": 0.2 + i / 10}}
            for i, name in enumerate(("all", "no elastic", "same padding"))]
    figure = s19.plot_ablation({"rows": rows, "minutes": 8}, paper={"pixel_error": 0.0611, "rand_error": 0.0382})
    pixel, rand = figure.axes[:2]
    assert [bar.get_width() for bar in rand.patches] == pytest.approx([0.2, 0.3, 0.4])
    assert [label.get_text() for label in pixel.get_yticklabels()] == ["all", "no elastic", "same padding"]
    assert rand.get_xlabel() == "Rand error, lower is better; dashed: paper, Table 1 (0.0382)"
    assert [list(line.get_xdata()) for line in rand.get_lines()] == [[0.0382, 0.0382]]
    assert "8 min of training each" in figure._suptitle.get_text()
    figure.savefig(tmp_path / "ablation.png")
    assert (tmp_path / "ablation.png").stat().st_size > 10_000
