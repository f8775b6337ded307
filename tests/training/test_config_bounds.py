"""No input too large, no value a library crashes on (issue 24, rows 6–11).

Values are bounded where they are read (``TrainConfig``'s static bounds, path fields without NUL or
lone surrogates, integers of thousands of digits), ``train`` refuses a run that cannot fit before it
builds anything (``training/memory.py``), readers refuse what is not a path, and the exercise checks
contain whatever a student's function throws. Rows 7–9 run the CLI in a child process under a memory
limit and a timeout, so a regression fails the test instead of taking the machine down.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sprint19_unet as s19
from sprint19_unet.errors import Sprint19Error
from sprint19_unet.training.config import TrainConfig
from sprint19_unet.training.memory import check_memory, estimate_training_memory
from tests.cli_helpers import ENV, assert_one_line_error, run_cli


# === Row 6: a config file with a huge integer, a NUL or a lone surrogate ===


@pytest.mark.parametrize(("text", "pattern"), [
    ('{"epochs": 1' + "0" * 4300 + "}", r"config file '.*c\.json': expected a JSON object of field: value; received a "
                                        r"value too large to read \(Exceeds the limit"),
    ('{"output_dir": "run\\u0000x"}', r"config field 'output_dir': expected a path .*; received a path with a NUL "
                                      r"character"),
    ('{"output_dir": "run\\ud800"}', r"config field 'output_dir': expected .*; received a path with characters that "
                                     r"cannot be encoded"),
    ('{"data": "a\\u0000b"}', r"config field 'data': .* received a path with a NUL character"),
    ('{"epochs": ' + "9" * 4000 + "}", r"config field 'epochs': expected an integer in \[1, 100,000\]; received an "
                                       r"integer of 4000 digits"),
])
def test_a_config_file_is_refused_in_one_line(tmp_path, text, pattern):
    (tmp_path / "c.json").write_text(text, encoding="utf-8")
    assert_one_line_error(run_cli("train", "--config", tmp_path / "c.json"), pattern)  # was: ValueError ×2, UnicodeEncodeError


def test_the_api_refuses_the_same_values():
    with pytest.raises(Sprint19Error, match=r"received an integer of about 5001 digits"):
        TrainConfig(workers=10**5000)
    with pytest.raises(Sprint19Error, match=r"config field 'encoder_weights': .* NUL"):
        TrainConfig(encoder="vgg16", encoder_weights="w\0.h5")
    assert TrainConfig(data="caf\udce9").data == "caf\udce9"  # an undecodable byte of a real file name is fine


# === Rows 7–9: values far beyond the machine, through the CLI, under a limit ===

CLI_UNDER_LIMIT = """
import io, json, resource, sys, contextlib
resource.setrlimit(resource.RLIMIT_AS, (6 * 2**30, 6 * 2**30))  # a regression: MemoryError, not a dead machine
from sprint19_unet.cli import main
results = []
for argv in json.loads(sys.argv[1]):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as exit_:
            code = exit_.code
    results.append([code, err.getvalue()])
print(json.dumps(results))
"""

HUGE = "1" + "0" * 23  # 1e23, written out as an integer


@pytest.fixture(scope="module")
def refused(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("bounds") / "run")
    argvs = {
        "workers": ["train", "--workers", HUGE, "--output-dir", out],
        "num_samples": ["train", "--num-samples", HUGE, "--output-dir", out],
        "num_samples_3m": ["train", "--num-samples", "3000000", "--output-dir", out],
        "num_samples_1m": ["train", "--num-samples", "1000000", "--output-dir", out],
        "base_filters": ["train", "--base-filters", HUGE, "--output-dir", out],
        "tiles_per_epoch": ["train", "--tiles-per-epoch", HUGE, "--output-dir", out],
        "input_size_depth": ["train", "--input-size", "1024", "--depth", "10", "--output-dir", out],
    }
    child = subprocess.run([sys.executable, "-c", CLI_UNDER_LIMIT, json.dumps(list(argvs.values()))],
                           capture_output=True, text=True, timeout=240, env=ENV)
    assert child.returncode == 0, child.stderr[-2000:]
    results = dict(zip(argvs, json.loads(child.stdout.splitlines()[-1])))
    results["_out"] = out
    return results


@pytest.mark.slow
@pytest.mark.parametrize(("case", "pattern"), [
    ("workers", r"config field 'workers': expected an integer in \[1, 64\]; received 100000000000000000000000\."),
    ("num_samples", r"config field 'num_samples': expected an integer in \[2, 1,000,000\]"),
    ("num_samples_3m", r"config field 'num_samples': expected an integer in \[2, 1,000,000\]; received 3000000"),
    ("base_filters", r"config field 'base_filters': expected an integer in \[1, 1024\]"),
    ("tiles_per_epoch", r"config field 'tiles_per_epoch': expected None or an integer in \[1, 1,000,000\]"),
    ("num_samples_1m", r"config: expected a run that fits in .*; received a run that needs about \d+\.\d GiB .*data "
                       r"\d+\.\d\)\. Use a smaller setting"),
    ("input_size_depth", r"config: expected a run that fits in .*; received a run that needs about \d+\.\d GiB "
                         r"\(weights, gradients and optimizer state \d+\.\d, one batch's activations \d+\.\d.*\)\. Use a "
                         r"smaller setting, e\.g\. --batch-size"),
])
def test_values_beyond_any_machine_are_refused_before_work_starts(refused, case, pattern):
    code, stderr = refused[case]
    errors = [line for line in stderr.splitlines() if line.startswith("sprint19-unet: error: ")]
    assert code == 2 and len(errors) == 1 and "Traceback" not in stderr, stderr[-1500:]
    assert re.search(pattern, errors[0]), errors[0]


@pytest.mark.slow
def test_nothing_is_left_behind_by_a_refused_run(refused):
    assert not Path(refused["_out"]).exists()  # was: out/config.json left by the crash


def test_the_suggested_smaller_setting_fits():
    config = TrainConfig(input_size=1024, depth=6, base_filters=64, batch_size=64, data="folder")
    budget = 8 * 2**30
    with pytest.raises(Sprint19Error, match=r"e\.g\. (--[a-z-]+ \d+ ?)+\.$") as raised:
        check_memory(config, available=budget, where="8 GiB")
    words = str(raised.value).rsplit("e.g. ", 1)[1].rstrip(".").split()
    changes = {flag[2:].replace("-", "_"): int(value) for flag, value in zip(words[::2], words[1::2])}
    smaller = config.replace(**changes)
    assert estimate_training_memory(smaller, generated_data=False).total <= 0.9 * budget
    check_memory(smaller, available=budget, generated_data=False)


# === Row 10: readers refuse what is not a path ===


@pytest.mark.parametrize("reader", [s19.read_image, s19.read_mask, s19.load_tgs, s19.describe_dataset])
@pytest.mark.parametrize(("value", "received"), [("a\0b.png", "a path with a NUL character"),
                                                  (3, "an? int"), (None, "a NoneType")])
def test_readers_refuse_what_is_not_a_path(reader, value, received):
    with pytest.raises(Sprint19Error, match=rf"^[^:]+: expected [^;]+; received {received}"):
        reader(value)  # was: raw ValueError / TypeError


def test_writers_refuse_what_is_not_a_path(tmp_path):
    with pytest.raises(Sprint19Error, match="output file path: .* NUL"):
        s19.write_png(str(tmp_path / "a\0.png"), np.zeros((2, 2), np.uint8))
    with pytest.raises(Sprint19Error, match="output file path: .* NoneType"):
        s19.write_submission(["a"], np.zeros((1, 2, 2)), None)


# === Row 11: checks contain whatever the student's function throws ===


class Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no text for you")


def _unprintable(*args):
    raise Unprintable()


def _exits(*args):
    raise SystemExit(3)


class ExitsWhenPrinted(Exception):
    def __str__(self):
        raise SystemExit(4)


def _exits_when_printed(*args):
    raise ExitsWhenPrinted()


class ExitsWhenRead:
    def __array__(self, *args, **kwargs):
        raise SystemExit(5)

    def __eq__(self, other):
        raise SystemExit(6)

    __hash__ = None


def _answers_what_exits(*args):
    return ExitsWhenRead()  # was: SystemExit escaped the check (the answer is read after the call)


@pytest.mark.parametrize("function", [_unprintable, _exits, _exits_when_printed, _answers_what_exits])
def test_a_check_survives_what_the_function_raises(function, capsys):
    result = s19.exercises.check_rle(function)
    assert not result.passed
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("❌ check_rle: 0/") and ("your function raised" in line or "could not be read" in line)


def test_the_baseline_refuses_masks_of_text():
    with pytest.raises(Sprint19Error, match=r"true_masks: expected a batch of masks .*; received an array of str_"):
        s19.predict_nothing_score(np.array([["a", "b"]]))  # was: UFuncTypeError
    with pytest.raises(Sprint19Error, match=r"^masks: expected a batch of masks"):
        s19.exercises.check_training(None, np.zeros((1, 8, 8, 1)), np.full((1, 8, 8, 1), "x"))
    with pytest.raises(Sprint19Error, match=r"^probabilities: expected"):
        s19.check_predictions(np.array(["0.5"]))
