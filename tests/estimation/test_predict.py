"""Estimation: sizes, overlap-tile against direct prediction, TTA, threshold tuning, submissions."""

import numpy as np
import pytest

import sprint19_unet as s19
from sprint19_unet import Sprint19Error
from sprint19_unet.estimation.scoring import segmentation_report
from sprint19_unet.unet.model import build_unet
from sprint19_unet.estimation.predict import (
    predict_masks,
    predict_overlap_tile,
    predict_probabilities,
    probabilities_to_masks,
    tune_threshold,
)
from sprint19_unet.estimation.submission import read_submission, write_submission


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(0)


def test_same_model_pads_and_crops_back(rng):
    model = build_unet((128, 128, 1), base_filters=4, depth=2)
    images = rng.random((3, 101, 101, 1), dtype="float32")
    probabilities = predict_probabilities(model, images)
    assert probabilities.shape == (3, 101, 101, 1)
    # the crop is exact: the same as predicting the padded image and cropping by hand
    padded = np.pad(images, ((0, 0), (13, 14), (13, 14), (0, 0)), mode="reflect")
    direct = model.predict(padded, verbose=0)[:, 13:114, 13:114]
    np.testing.assert_allclose(probabilities, direct, atol=1e-6)


def test_overlap_tile_equals_direct_prediction_for_a_valid_model(rng):
    # One set of weights, two tile sizes: 204 → 20 (centre 16, many tiles) and 252 → 68 (centre 64, one tile).
    small = build_unet((204, 204, 1), base_filters=2, padding="valid")
    large = build_unet((252, 252, 1), base_filters=2, padding="valid")
    large.set_weights(small.get_weights())
    image = rng.random((1, 64, 64, 1), dtype="float32")
    stitched = predict_overlap_tile(small, image)
    direct = predict_overlap_tile(large, image)  # one tile covers the image: a direct prediction
    assert stitched.shape == (1, 64, 64, 1)
    np.testing.assert_allclose(stitched, direct, atol=1e-5)


def test_overlap_tile_mirrors_the_borders_like_the_paper(rng):
    model = build_unet((204, 204, 1), base_filters=2, padding="valid")  # output 20, centre 16
    image = rng.random((1, 16, 16, 1), dtype="float32")
    mirrored = np.pad(image, ((0, 0), (94, 94), (94, 94), (0, 0)), mode="reflect")  # 92 margin + 2 trim
    expected = model.predict(mirrored, verbose=0)[:, 2:18, 2:18]
    np.testing.assert_allclose(predict_overlap_tile(model, image), expected, atol=1e-6)


def test_overlap_tile_rejects_a_tile_too_small_to_stitch(rng):
    model = build_unet((188, 188, 1), base_filters=2, padding="valid")  # output 4 < 16
    with pytest.raises(Sprint19Error, match=r"centre of at least 2\*\*depth = 16 pixels"):
        predict_overlap_tile(model, rng.random((1, 8, 8, 1)))


def test_size_free_model_and_tta(rng):
    model = build_unet((None, None, 1), base_filters=4, depth=2)
    images = rng.random((2, 30, 50, 1), dtype="float32")
    plain = predict_probabilities(model, images)
    tta = predict_probabilities(model, images, tta=True)
    flipped = predict_probabilities(model, images[:, :, ::-1])[:, :, ::-1]
    np.testing.assert_allclose(tta, (plain + flipped) / 2, atol=1e-6)


@pytest.mark.filterwarnings("ignore::sprint19_unet.training.sanity.AllBlackWarning")  # an untrained model may predict all-empty
def test_large_images_with_a_fixed_same_model_are_tiled(rng):
    model = build_unet((64, 64, 1), base_filters=4, depth=2)
    assert predict_masks(model, rng.random((1, 150, 90, 1), dtype="float32")).shape == (1, 150, 90, 1)


def test_multi_class_masks_are_argmax():
    probabilities = np.array([[[[0.1, 0.7, 0.2], [0.5, 0.2, 0.3]]]])
    np.testing.assert_array_equal(probabilities_to_masks(probabilities)[..., 0], [[[1, 0]]])


def test_channel_mismatch_is_a_clear_error(rng):
    model = build_unet((64, 64, 1), base_filters=4, depth=2)
    with pytest.raises(Sprint19Error, match=r"images: expected 1 channel\(s\), as the model was trained on; received 3"):
        predict_probabilities(model, rng.random((1, 64, 64, 3)))


def test_tune_threshold_finds_the_separating_value():
    truth = np.zeros((4, 8, 8, 1), "uint8")
    truth[:2, 2:6, 2:6] = 1
    probabilities = truth * 0.3 + 0.2  # salt at 0.5, background at 0.2
    best, score, scores = tune_threshold(truth, probabilities)
    assert 0.2 <= best < 0.5 and score == 1.0
    assert scores[-1] == pytest.approx(0.5)  # at 0.9 every mask is empty: only the 2 empty images score


def test_tune_threshold_can_minimise_the_misclassified_fraction():
    truth = np.zeros((1, 10, 10, 1), "uint8")
    truth[0, :, :3] = 1  # 30 membrane pixels
    probabilities = np.where(truth == 1, 0.55, 0.3).astype("float32")
    probabilities[0, 0, 5] = 0.6  # one background pixel above every membrane pixel
    best, error, errors = tune_threshold(truth, probabilities, thresholds=[0.25, 0.5, 0.58],
                                          metric="misclassified_fraction")
    assert best == 0.5 and error == pytest.approx(0.01)  # only the stray pixel is wrong
    assert errors.tolist() == pytest.approx([0.70, 0.01, 0.31])  # at 0.58 all membrane is missed, the stray kept
    with pytest.raises(Sprint19Error, match="metric"):
        tune_threshold(truth, probabilities, metric="rand")


def test_segmentation_report_by_hand():
    truth = np.zeros((2, 4, 4, 1), "uint8")
    truth[0, :2, :2] = 1  # 4 pixels
    guess = np.zeros_like(truth)
    guess[0, :2, :3] = 1  # 6 pixels, 4 shared
    report = segmentation_report(truth, guess)
    assert report["iou"] == pytest.approx(4 / 6)
    assert report["dice"] == pytest.approx(8 / 10)
    assert report["pixel_accuracy"] == pytest.approx(30 / 32)
    # image 0: IoU 0.667 → hits at 0.50, 0.55, 0.60, 0.65 = 0.4; image 1 empty/empty = 1
    assert report["tgs_score"] == pytest.approx(0.7)


def test_submission_round_trip(tmp_path, rng):
    masks = (rng.random((5, 101, 101, 1)) > 0.7).astype("uint8")
    masks[0] = 0
    masks[1] = 1
    ids = [f"id{i}" for i in range(5)]
    path = write_submission(ids, masks, tmp_path / "submission.csv", expected_ids=ids)
    read_ids, read_masks = read_submission(path)
    assert read_ids == ids
    np.testing.assert_array_equal(read_masks, masks)
    assert path.read_text().splitlines()[1] == "id0,"


@pytest.mark.parametrize(("ids", "kwargs", "match"), [
    (["a", "a"], {}, r"ids: expected each id once; received repeated ids a"),
    (["a", "b"], {"expected_ids": ["a", "c"]}, r"1 test ids missing \(c\) and 1 unknown ids \(b\)"),
    (["a"], {}, r"masks: expected \(1, height, width\)"),
])
def test_submission_errors(tmp_path, ids, kwargs, match):
    with pytest.raises(Sprint19Error, match=match):
        write_submission(ids, np.zeros((2, 4, 4), "uint8"), tmp_path / "s.csv", **kwargs)
    assert not (tmp_path / "s.csv").exists()


def test_constant_predictions_warn():
    from sprint19_unet.training.sanity import AllBlackWarning

    model = build_unet((32, 32, 1), base_filters=4, depth=2)
    for layer in model.layers:  # zero weights: the sigmoid outputs 0.5 everywhere
        layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
    with pytest.warns(AllBlackWarning, match=r"predictions are constant \(0\.5 everywhere\)"):
        predict_masks(model, np.zeros((2, 32, 32, 1), "float32"))


def test_evaluate_isbi_reports_the_challenge_errors(tmp_path):
    from sprint19_unet.estimation.files import evaluate_model, load_model
    from tests.cli_helpers import run_cli

    rng = np.random.default_rng(0)
    for kind in ("images", "masks"):
        (tmp_path / "isbi" / kind).mkdir(parents=True)
    for index in range(2):
        label = np.full((32, 32), 255, np.uint8)  # cells 255, membrane 0, as the ISBI label files
        label[:, 10 + index] = label[20, :] = 0
        s19.write_png(tmp_path / "isbi" / "masks" / f"{index}.png", label)
        s19.write_png(tmp_path / "isbi" / "images" / f"{index}.png", (rng.random((32, 32)) * 255).astype(np.uint8))
    model_path = tmp_path / "run" / "model.keras"
    model_path.parent.mkdir()
    s19.build_unet((32, 32, 1), base_filters=2, depth=1).save(model_path)

    report = evaluate_model(model_path, tmp_path / "isbi", foreground=0, isbi=True)
    data = s19.load_dataset(tmp_path / "isbi", "train", foreground=0)  # 1 = membrane
    expected = s19.isbi_challenge_errors(data.masks, s19.predict_probabilities(load_model(model_path), data.images))
    assert report["pixel_error"] == expected["pixel_error"] and report["rand_error"] == expected["rand_error"]
    result = run_cli("evaluate", "--model", model_path, "--data", tmp_path / "isbi", "--foreground", "0", "--isbi")
    assert result.returncode == 0, result.stderr
    assert f"pixel_error: {expected['pixel_error']:.4f}" in result.stdout
    assert f"rand_error: {expected['rand_error']:.4f}" in result.stdout


@pytest.mark.slow
def test_dihedral_tta_averages_the_eight_symmetries():
    from sprint19_unet.estimation.tta import tta_average

    rng = np.random.default_rng(0)
    images = rng.random((2, 6, 9, 1))  # not square: the rotations by 90° swap height and width

    def predict(x):  # position-dependent, so each symmetry gives another answer
        rows = np.arange(x.shape[1]).reshape(1, -1, 1, 1)
        return x * (1 + rows)

    expected = np.zeros_like(images)
    for turn in range(4):
        for mirrored in (False, True):
            view = np.rot90(images, turn, axes=(1, 2))
            view = view[:, :, ::-1] if mirrored else view
            out = predict(view)
            out = out[:, :, ::-1] if mirrored else out
            expected += np.rot90(out, -turn, axes=(1, 2)) / 8
    assert np.allclose(tta_average(predict, images, "dihedral"), expected)
    model = build_unet((None, None, 1), base_filters=2, depth=1)
    eight = predict_probabilities(model, images.astype("float32"), tta="dihedral")
    assert eight.shape == images.shape
    with pytest.raises(Sprint19Error, match=r"^tta: expected True, False or one of 'none', 'flip', 'dihedral'"):
        predict_probabilities(model, images, tta="rotate")
