"""TrainConfig: defaults, JSON round trip, and field-by-field validation with clear errors."""

import json

import pytest

from sprint19_unet import Sprint19Error
from sprint19_unet.training.config import TrainConfig


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
    ({"loss": "hinge"}, r"config field 'loss': expected one of bce, dice, bce_dice"),
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
