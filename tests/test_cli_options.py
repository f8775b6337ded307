"""The `train` command's options, generated from TrainConfig's fields: names, types, help, precedence.

Nothing here trains: the parser and the merge function (``_config_from_args``) are called directly.
"""

from __future__ import annotations

import argparse
import dataclasses
import json

import pytest

from sprint19_unet.cli import (
    _config_from_args, _value_parser, add_dataclass_options, build_parser, field_comments, main,
)
from sprint19_unet.errors import Sprint19Error
from sprint19_unet.training.config import FIELD_CHOICES, TrainConfig

FIELDS = [field.name for field in dataclasses.fields(TrainConfig)]


def train_parser() -> argparse.ArgumentParser:
    subparsers = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return subparsers.choices["train"]


def train_options() -> dict[str, argparse.Action]:
    """dest → action of every train option."""
    return {action.dest: action for action in train_parser()._actions}


def config_of(*argv: str) -> TrainConfig:
    return _config_from_args(build_parser().parse_args(["train", *argv]))


# === Every field, its name, its help ===


def test_every_field_has_an_option_named_after_it():
    options = train_options()
    assert len(FIELDS) >= 33
    for name in FIELDS:
        assert "--" + name.replace("_", "-") in options[name].option_strings, name


@pytest.mark.parametrize("option", [
    "--config", "--resume", "--data", "--output-dir", "--num-samples", "--epochs", "--batch-size", "--learning-rate",
    "--input-size", "--padding", "--scale", "--tiles-per-epoch", "--base-filters", "--depth", "--num-classes",
    "--dropout", "--loss", "--class-balance", "--border-class", "--optimizer", "--seed", "--mixed-precision",
    "--jit-compile", "--run-eagerly", "--workers", "--foreground", "--no-augment", "--no-batch-norm", "--tensorboard",
    "--distribute",
])
def test_the_option_names_used_before_still_work(option):
    assert option in train_parser()._option_string_actions


def test_every_field_is_documented_and_its_help_is_its_comment():
    comments = field_comments(TrainConfig)
    assert sorted(comments) == sorted(FIELDS)  # config.py promises a comment beside every field
    assert comments["up_mode"] == '"transpose" (paper\'s 2×2 up-conv) or "resize" (upsample + conv)'
    assert comments["data"].startswith('"synthetic", "shapes", or a folder')
    options = train_options()
    for name in FIELDS:
        default = getattr(TrainConfig(), name)
        flag = name.replace("_", "-")
        if isinstance(default, bool):
            expected = f"--{flag}" if default else f"--no-{flag}"
        else:
            expected = "none" if default in (None, {}) else str(default)
        assert options[name].help == f"{comments[name]} (default: {expected})".replace("%", "%%"), name


def test_help_lists_every_option_with_its_default_and_choices():
    text = train_parser().format_help()
    assert "--up-mode {transpose,resize}" in text and "--encoder {vgg16,resnet50,none}" in text
    assert "--foreground INT|none" in text and "--jit-compile {true,false,auto}" in text
    assert "--augment, --no-augment" in text and "(default: --augment)" in text
    assert "(default: runs/unet)" in text and "(default: constant)" in text
    for name in FIELDS:
        assert "--" + name.replace("_", "-") in text


def test_field_comments_reads_trailing_comments_only():
    @dataclasses.dataclass
    class Example:
        # a comment above a field is not its help
        plain: int = 1
        hashed: str = "a # b"  # the '#' in the default is no comment
        rate: float = 0.5  # 50 % of it

    assert field_comments(Example) == {"hashed": "the '#' in the default is no comment", "rate": "50 % of it"}
    parser = argparse.ArgumentParser()
    assert add_dataclass_options(parser, Example) == ["plain", "hashed", "rate"]
    text = parser.format_help()  # '%' is escaped for argparse
    assert "50 % of it (default: 0.5)" in text and "plain (default: 1)" in text


# === Types from the annotations ===


def test_new_options_reach_the_config():
    config = config_of("--up-mode", "resize", "--encoder", "none", "--lr-schedule", "cosine",
                       "--reduce-lr-patience", "0", "--monitor", "val_iou", "--standardize", "--freeze-encoder",
                       "--no-freeze-encoder", "--val-fraction", "0.25")
    assert (config.up_mode, config.encoder, config.lr_schedule) == ("resize", None, "cosine")
    assert (config.reduce_lr_patience, config.monitor, config.standardize) == (0, "val_iou", True)
    assert (config.freeze_encoder, config.val_fraction) == (False, 0.25)
    encoded = config_of("--encoder", "vgg16", "--encoder-weights", "weights.h5", "--freeze-encoder")
    assert (encoded.encoder, encoded.encoder_weights, encoded.freeze_encoder) == ("vgg16", "weights.h5", True)


def test_values_are_parsed_by_the_field_type():
    config = config_of("--learning-rate", "1e-4", "--tiles-per-epoch", "5", "--foreground", "0",
                       "--jit-compile", "TRUE", "--run-eagerly", "auto", "--data", "none")
    assert config.learning_rate == 1e-4 and isinstance(config.learning_rate, float)
    assert (config.tiles_per_epoch, config.foreground) == (5, 0)
    assert config.jit_compile is True and config.run_eagerly == "auto"
    assert config.data == "none"  # a str field (not Optional) takes the word literally
    assert config_of("--foreground", "None", "--tiles-per-epoch", "null").foreground is None
    assert _value_parser(int | None).__name__ == "int or none"
    with pytest.raises(TypeError, match="no command-line parser"):
        _value_parser(dict)


def test_a_bool_field_both_ways(tmp_path):
    assert config_of("--no-augment").augment is False
    assert config_of("--augment").augment is True
    assert config_of("--distribute").distribute is True and config_of().distribute is False
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"augment": False, "batch_norm": False}))
    assert config_of("--config", str(path)).augment is False
    overridden = config_of("--config", str(path), "--augment")
    assert (overridden.augment, overridden.batch_norm) == (True, False)


# === Precedence: defaults < --config file < command line ===


def test_precedence_defaults_then_file_then_command_line(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"epochs": 7, "depth": 3, "encoder": "vgg16", "foreground": 0}))
    args = build_parser().parse_args(["train", "--config", str(path), "--depth", "2", "--encoder", "none"])
    assert "epochs" not in vars(args) and "batch_size" not in vars(args)  # options not typed are absent
    config = _config_from_args(args)
    assert config.batch_size == TrainConfig().batch_size  # default
    assert (config.epochs, config.foreground) == (7, 0)  # file over default
    assert (config.depth, config.encoder) == (2, None)  # command line over file, `none` included
    assert config_of("--config", str(path), "--foreground", "none").foreground is None
    assert config_of() == TrainConfig()


def test_train_only_arguments_are_not_fields():
    args = build_parser().parse_args(["train", "--resume", "--epochs", "2"])
    assert args.resume is True and args.config is None and callable(args.run)
    assert _config_from_args(args) == TrainConfig(epochs=2)
    assert not {"config", "resume", "run"} & set(FIELDS)


def test_choices_shown_are_those_the_config_checks():
    options = train_options()
    for name, values in FIELD_CHOICES.items():
        for value in values:
            assert str(value).lower() in options[name].metavar, (name, value)


# === Bad values: exit 2 with one error line ===


def test_a_word_of_the_wrong_type_is_argparses_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["train", "--depth", "abc"])
    assert exit_info.value.code == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert errors == ["sprint19-unet train: error: argument --depth: invalid int value: 'abc'"]


def test_a_value_the_config_refuses_is_one_line(capsys):
    assert main(["train", "--up-mode", "sideways"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["sprint19-unet: error: config field 'up_mode': expected 'transpose' or 'resize'; received "
                   "'sideways'. Use up_mode='transpose'."]


def test_loss_options_are_typed_once_each_and_added_to_the_files(tmp_path):
    config = _config_from_args(train_parser().parse_args(
        ["--loss", "tversky", "--loss-option", "alpha=0.7", "--loss-option", "beta=0.3", "--loss-option",
         "from_logits=false"]))
    assert config.loss == "tversky" and config.loss_options == {"alpha": 0.7, "beta": 0.3, "from_logits": False}
    path = tmp_path / "config.json"
    TrainConfig(loss="focal", loss_options={"gamma": 1.0, "alpha": 0.5}).save(path)
    config = _config_from_args(train_parser().parse_args(["--config", str(path), "--loss-option", "gamma=3"]))
    assert config.loss_options == {"gamma": 3, "alpha": 0.5}


@pytest.mark.parametrize("typed, message", [
    (["--loss-option", "alpha"], "invalid NAME=VALUE value: 'alpha'"),
    (["--loss-option", "alpha=high"], "invalid NAME=VALUE value: 'alpha=high'"),
])
def test_a_loss_option_that_is_not_name_equals_number_is_argparses_error(typed, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        train_parser().parse_args(["--loss", "tversky", *typed])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_a_loss_option_the_loss_does_not_take_is_one_line_naming_both():
    with pytest.raises(Sprint19Error, match=r"loss_options.*options of loss 'bce'.*from_logits, label_smoothing; received gamma"):
        _config_from_args(train_parser().parse_args(["--loss", "bce", "--loss-option", "gamma=2"]))
    with pytest.raises(Sprint19Error, match=r"loss_options.*alpha.*finite number >= 0"):
        _config_from_args(train_parser().parse_args(["--loss", "tversky", "--loss-option", "alpha=-1"]))
