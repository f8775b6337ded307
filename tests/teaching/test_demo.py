"""The instructor's demo: a wall-clock budget it keeps, a plan it prints, figures each epoch."""

import pytest

from sprint19_unet import Sprint19Error
from sprint19_unet.teaching.demo import (
    DEMO_CONFIG,
    DEMO_RECIPE,
    MIN_SAMPLES_PER_EPOCH,
    REFERENCE_COMPUTE,
    DemoRecipe,
    demo_compute,
    run_demo,
)
from sprint19_unet.unet.model import build_unet


# trains a model, or starts processes or kernels: left out of the inner loop (README)
pytestmark = pytest.mark.slow


def test_the_recipe_costs_an_eighth_of_the_original_demo_at_six_epochs():
    assert DEMO_CONFIG == DEMO_RECIPE.config()
    assert DEMO_CONFIG.input_size == DEMO_RECIPE.image_size == 64 and round(101 * DEMO_CONFIG.scale) == 64  # one tile
    assert demo_compute(DEMO_CONFIG, 480 * 6) == pytest.approx(1 / 8)
    assert REFERENCE_COMPUTE == 480 * 128**2 * 12


def test_a_recipe_is_one_object_whose_size_sets_the_scale_and_the_tile():
    smaller = DemoRecipe(image_size=48, depth=3, batch_size=16)
    config = smaller.config(seed=3)
    assert (config.input_size, round(101 * config.scale), config.depth, config.batch_size, config.seed) == (
        48, 48, 3, 16, 3)
    assert config.base_filters == DEMO_RECIPE.base_filters and config.num_samples == DEMO_RECIPE.images
    assert demo_compute(config, 480 * 6) == pytest.approx(480 * 6 * 48**2 / REFERENCE_COMPUTE)


def test_the_demo_model_is_the_small_unet_of_the_docs():
    model = build_unet((DEMO_CONFIG.input_size,) * 2 + (1,), base_filters=DEMO_CONFIG.base_filters,
                       depth=DEMO_CONFIG.depth, batch_norm=False)
    assert model.count_params() == 29_321


@pytest.mark.filterwarnings("ignore::sprint19_unet.training.sanity.AllBlackWarning")  # one epoch or one step
def test_a_demo_told_a_tiny_budget_stops_at_it_and_still_reports(tmp_path):
    lines = []
    result = run_demo(tmp_path, seconds=0.5, show=False, log=lines.append)
    # the budget was spent before training began: the plan is one smallest epoch, stopped after a step
    assert result["plan"].epochs == 1 and result["plan"].samples_per_epoch == MIN_SAMPLES_PER_EPOCH
    assert result["stopped"] == "within an epoch" and result["epochs"] == 1
    assert any(line.startswith("measured ") and "images/s" in line for line in lines)
    assert any("stopped within an epoch at the deadline after 1 of 1 epochs" in line for line in lines)
    assert 0.0 <= result["iou"] <= 1.0
    assert (tmp_path / "epochs" / "epoch_01.png").stat().st_size > 1000  # no screen: the epoch's figure
    assert (tmp_path / "demo_predictions.png").stat().st_size > 1000


@pytest.mark.filterwarnings("ignore::sprint19_unet.training.sanity.AllBlackWarning")  # one epoch or one step
def test_fixed_epochs_are_reproducible_with_a_window_or_with_files(tmp_path):
    with_window = run_demo(tmp_path / "a", epochs=1, show=True)  # headless here: the window draws off screen
    with_files = run_demo(tmp_path / "b", epochs=1, show=False)
    assert with_window["iou"] == with_files["iou"] and with_window["tgs_score"] == with_files["tgs_score"]
    assert with_window["plan"].samples_per_epoch == 480 and with_window["stopped"] is None
    assert with_window["compute"] == pytest.approx(1 / 48)  # 480 images × 64² × 1 epoch
    assert not (tmp_path / "a" / "epochs").exists()
    assert [p.name for p in (tmp_path / "b" / "epochs").iterdir()] == ["epoch_01.png"]


@pytest.mark.parametrize("seconds", [0, -5, float("nan"), "60"])
def test_a_bad_budget_is_refused(tmp_path, seconds):
    with pytest.raises(Sprint19Error, match="seconds.*> 0"):
        run_demo(tmp_path, seconds=seconds)


def test_bad_epochs_are_refused(tmp_path):
    with pytest.raises(Sprint19Error, match="epochs.*integer ≥ 1"):
        run_demo(tmp_path, epochs=0)


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
