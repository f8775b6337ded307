"""TrainConfig: defaults, JSON round trip, and field-by-field validation with clear errors."""

import json

import numpy as np
import pytest

import sprint19_unet as s19
from sprint19_unet import Sprint19Error
from sprint19_unet.training.config import FIELD_CHOICES, TrainConfig


def test_json_round_trip(tmp_path):
    config = TrainConfig(epochs=3, base_filters=8, jit_compile=False, foreground=0)
    path = config.save(tmp_path / "config.json")
    assert TrainConfig.from_json(path) == config
    assert json.loads(path.read_text())["epochs"] == 3


@pytest.mark.parametrize(("values", "match"), [
    ({"epoch": 3}, r"field 'epoch': expected a TrainConfig field; received an unknown field\. Did you mean 'epochs'\?"),
    ({"epochs": "3"}, r"field 'epochs': expected int; received '3' \(str\)"),
    ({"epochs": 3.0}, r"field 'epochs': expected int; received 3\.0 \(float\)"),
    ({"augment": 1}, r"field 'augment': expected bool; received 1 \(int\)"),
    ({"foreground": "dark"}, r"field 'foreground': expected int or null"),
    ({"learning_rate": 0}, r"config field 'learning_rate': expected a positive finite number; received 0"),
    ({"val_fraction": 1.0}, r"config field 'val_fraction': expected a fraction in \(0, 1\)"),
    ({"padding": "full"}, r"config field 'padding': expected 'same' or 'valid'"),
    ({"loss": "hinge"}, r"config field 'loss': expected 'bce', 'dice', 'bce_dice'"),
    ({"num_classes": 3}, r"'bce_dice' with num_classes=3.*'sparse_cce'"),
    ({"loss": "sparse_cce"}, r"'sparse_cce' with num_classes=1"),
    ({"lr_schedule": "cosine"}, r"reduce_lr_patience.*lr_schedule='cosine'"),
    ({"mixed_precision": "fp16"}, r"mixed_precision.*'mixed_float16'"),
])
def test_bad_fields_are_named(values, match):
    with pytest.raises(Sprint19Error, match=match):
        TrainConfig.from_dict(values)


def test_bad_json_file(tmp_path):
    path = tmp_path / "config.json"
    path.write_text("{epochs: 3}")
    with pytest.raises(Sprint19Error, match=r"config file '.*config\.json': expected a JSON object.*invalid JSON"):
        TrainConfig.from_json(path)
    with pytest.raises(Sprint19Error, match=r"expected a JSON file; received a path that does not exist"):
        TrainConfig.from_json(tmp_path / "missing.json")
    path.write_text("[1, 2]")
    with pytest.raises(Sprint19Error, match=r"expected a JSON object of field: value; received list"):
        TrainConfig.from_json(path)


def test_option_lists_are_defined_once_and_imported():
    from sprint19_unet.training import config, losses
    from sprint19_unet.unet import encoders, flops, parts, sizes

    assert config.FIELD_CHOICES["padding"] is sizes.PADDINGS
    assert config.FIELD_CHOICES["up_mode"] is parts.UP_MODES
    assert config.FIELD_CHOICES["encoder"] is encoders.ENCODER_NAMES
    assert config.LOSS_NAMES == tuple(losses.LOSSES)
    assert flops.UP_MODES is parts.UP_MODES
    with pytest.raises(Sprint19Error, match=r"up_mode: expected one of \('transpose', 'resize'\)"):
        flops.unet_forward_flops(64, base_filters=4, depth=2, up_mode="sideways")


@pytest.mark.parametrize("name", sorted(FIELD_CHOICES))
def test_a_value_outside_the_choices_is_refused_by_name(name):
    with pytest.raises(Sprint19Error, match=rf"config field '{name}': expected .*received 'sideways'"):
        TrainConfig.from_dict({name: "sideways"})


def test_the_encoder_rules_come_from_the_encoders():
    from sprint19_unet.unet.encoders import ENCODERS, MIN_INPUT_SIZE

    assert TrainConfig(encoder=None).encoder is None
    for name, spec in ENCODERS.items():
        size = max(spec.total_stride, MIN_INPUT_SIZE) * 2
        assert TrainConfig(encoder=name, input_size=size).encoder == name
        with pytest.raises(Sprint19Error, match=rf"a multiple of {spec.total_stride} .*at least {MIN_INPUT_SIZE}"):
            TrainConfig(encoder=name, input_size=size + 8)
    with pytest.raises(Sprint19Error, match=r"config field 'encoder': expected null, 'vgg16' or 'resnet50'"):
        TrainConfig(encoder="vgg19")


def test_loss_options_are_checked_against_the_loss_and_a_config_without_them_still_loads(tmp_path):
    config = TrainConfig(loss="focal", loss_options={"gamma": 1.0, "alpha": None})
    path = config.save(tmp_path / "config.json")
    assert TrainConfig.from_json(path) == config
    values = config.to_dict()
    del values["loss_options"]  # a config.json written before loss_options existed
    assert TrainConfig.from_dict(values).loss_options == {}
    for options, message in (({"gamma": -1}, "loss_options.*gamma.*finite number >= 0"),
                             ({"smooth": 1.0}, "loss_options.*options of loss 'focal'.*received smooth"),
                             ({"gamma": "two"}, "loss_options.*number, true/false or null.*gamma"),
                             ([("gamma", 1.0)], "loss_options.*expected dict")):
        with pytest.raises(Sprint19Error, match=message):
            TrainConfig.from_dict({"loss": "focal", "loss_options": options})


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
    from sprint19_unet.estimation.predict import predict_masks
    from sprint19_unet.unet.model import build_unet

    model = build_unet((32, 32, 1), base_filters=2, depth=1)
    with pytest.raises(Sprint19Error, match=r"threshold.*\[0, 1\)"):
        predict_masks(model, np.zeros((1, 32, 32, 1), "float32"), threshold=threshold)


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True])
def test_predict_refuses_a_batch_size_that_is_not_a_positive_integer(batch_size):
    from sprint19_unet.estimation.predict import predict_probabilities
    from sprint19_unet.unet.model import build_unet

    model = build_unet((32, 32, 1), base_filters=2, depth=1)
    with pytest.raises(Sprint19Error, match="batch_size"):
        predict_probabilities(model, np.zeros((1, 32, 32, 1), "float32"), batch_size=batch_size)
