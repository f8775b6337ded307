"""The command line: exit codes, one-line errors, the summary and the demo."""


import pytest
from cli_helpers import run_cli, run_cli_process

from sprint19_unet.cli import build_parser, main


@pytest.mark.slow
def test_help_lists_the_commands():
    result = run_cli_process("--help")
    assert result.returncode == 0
    for command in ("demo", "summary"):
        assert command in result.stdout


def test_summary_of_the_paper_network(capsys):
    assert main(["summary", "--paper"]) == 0
    out = capsys.readouterr().out
    assert "expanding4_up_conv" in out and "contracting1_max_pool" in out
    assert "(388, 388, 2), 23 convolutional layers, 31,030,658 parameters" in out


@pytest.mark.slow
def test_user_error_is_one_line_without_traceback():
    result = run_cli_process("summary", "--size", "101")  # end to end: a real process, its stderr
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("sprint19-unet")]
    assert len(lines) == 1 and "received 101" in lines[0] and "112" in lines[0]
    assert "Traceback" not in result.stderr


def test_unknown_command_is_rejected():
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["fly"])
    assert exit_info.value.code == 2


# === The Problem 1 workflow through the CLI: sample → describe → train → evaluate → predict ===


@pytest.fixture(scope="module")
def workflow(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    sample = root / "sample"
    assert run_cli("data", "sample", "--out", str(sample), "--n", "40", "--test-n", "6").returncode == 0
    trained = run_cli(
        "train", "--data", str(sample), "--output-dir", str(root / "run"), "--epochs", "1",
        "--base-filters", "4", "--depth", "2", "--batch-size", "8", "--no-augment",
    )
    assert trained.returncode == 0, trained.stderr[-2000:]
    return root, sample, trained


@pytest.mark.slow
def test_data_sample_writes_the_kaggle_layout(workflow):
    _, sample, _ = workflow
    assert len(list((sample / "train" / "images").glob("*.png"))) == 40
    assert len(list((sample / "test" / "images").glob("*.png"))) == 6
    assert (sample / "train.csv").read_text().startswith("id,rle_mask")
    assert (sample / "depths.csv").read_text().startswith("id,z")


@pytest.mark.slow
def test_data_describe(workflow):
    _, sample, _ = workflow
    result = run_cli("data", "describe", str(sample))
    assert result.returncode == 0 and "40" in result.stdout and "empty" in result.stdout.lower()


@pytest.mark.slow
def test_train_prints_the_best_scores(workflow):
    root, _, trained = workflow
    assert "trained 1 epochs into" in trained.stdout and "best_val_tgs_score=" in trained.stdout
    assert (root / "run" / "model.keras").is_file()


@pytest.mark.slow
def test_evaluate_prints_the_metrics(workflow):
    root, sample, _ = workflow
    result = run_cli("evaluate", "--model", str(root / "run" / "model.keras"), "--data", str(sample))
    assert result.returncode == 0, result.stderr[-2000:]
    for key in ("iou:", "dice:", "pixel_accuracy:", "tgs_score:"):
        assert key in result.stdout


@pytest.mark.slow
def test_predict_writes_a_valid_submission_and_mask_folder(workflow):
    from sprint19_unet.estimation.submission import read_submission

    root, sample, _ = workflow
    csv_path = root / "submission.csv"
    result = run_cli("predict", "--model", str(root / "run" / "model.keras"), "--data", str(sample), "--out", str(csv_path), "--tta")
    assert result.returncode == 0, result.stderr[-2000:]
    ids, masks = read_submission(csv_path)
    assert sorted(ids) == sorted(p.stem for p in (sample / "test" / "images").glob("*.png"))
    assert masks.shape == (6, 101, 101, 1)
    folder = root / "masks"
    for _ in range(2):  # re-running over an existing output is safe
        result = run_cli("predict", "--model", str(root / "run" / "model.keras"), "--data", str(sample), "--out", str(folder),
                         "--tta", "dihedral")  # the 8 rotations and mirror images
        assert result.returncode == 0, result.stderr[-2000:]
    assert len(list(folder.glob("*.png"))) == 6


@pytest.mark.parametrize(("args", "message"), [
    (("train", "--data", "/nonexistent/folder"), "data '/nonexistent/folder': expected"),
    (("train", "--epochs", "0"), "config field 'epochs': expected an integer in [1, 100,000]; received 0"),
    (("train", "--loss", "hinge"), "config field 'loss': expected 'bce', 'dice'"),
    (("predict", "--model", "/nonexistent.keras", "--data", ".", "--out", "x.csv"), "model '/nonexistent.keras': expected a .keras model file"),
    (("data", "describe", "/nonexistent"), "/nonexistent"),
])
def test_user_errors_exit_2_with_one_line(args, message):
    result = run_cli(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("sprint19-unet: error:")]
    assert len(errors) == 1 and message in errors[0]


def test_model_file_that_is_not_a_model(tmp_path):
    fake = tmp_path / "model.keras"
    fake.write_text("not a zip")
    result = run_cli("evaluate", "--model", str(fake), "--data", "synthetic")
    assert result.returncode == 2 and "not a .keras archive" in result.stderr


@pytest.mark.slow
def test_demo_runs_and_ends_with_a_machine_readable_line(tmp_path):
    result = run_cli_process("demo", "--out", str(tmp_path / "demo"), "--epochs", "1", "--no-show")
    assert result.returncode == 0, result.stderr[-2000:]
    last = result.stdout.strip().splitlines()[-1]
    fields = dict(item.split("=") for item in last.split())
    assert sorted(fields) == ["compute", "epochs", "iou", "seconds", "tgs_score"]
    assert 0.0 <= float(fields["iou"]) <= 1.0 and float(fields["seconds"]) > 0 and fields["epochs"] == "1"
    assert (tmp_path / "demo" / "demo_predictions.png").stat().st_size > 1000
    assert (tmp_path / "demo" / "epochs" / "epoch_01.png").stat().st_size > 1000  # --no-show: figures as files


def test_demo_refuses_a_budget_that_is_not_positive(tmp_path):
    result = run_cli("demo", "--out", str(tmp_path / "demo"), "--seconds", "0")
    assert result.returncode == 2
    assert "seconds" in result.stderr and "> 0" in result.stderr and "Traceback" not in result.stderr


def test_check_int_refuses_bools_and_out_of_range():
    from sprint19_unet.errors import Sprint19Error, check_int

    assert check_int("n", 3, 1, "Use n=3.") == 3
    for value, maximum, match in ((True, None, r"n: expected an integer >= 1; received True"),
                                  (0, None, r"n: expected an integer >= 1; received 0"),
                                  (9, 8, r"n: expected an integer in \[1, 8\]; received 9")):
        with pytest.raises(Sprint19Error, match=match):
            check_int("n", value, 1, "Use n=3.", maximum=maximum)


# === 19c. Control characters in paths: the CLI's error stays one line ===


def test_cli_error_with_newline_in_path_is_one_line(tmp_path):
    folder = tmp_path / "bad\nname\r\tand\x1b[31mred"
    folder.mkdir()
    result = run_cli("data", "describe", folder)
    assert result.returncode == 2, result.stderr[-1500:]
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("sprint19-unet: error: ")]
    assert len(errors) == 1, result.stderr[-1500:]
    line = errors[0]
    assert r"bad\nname\r\tand\x1b[31mred" in line, line  # escaped as in repr()
    assert line.endswith("writes an example."), line  # the whole message, not its first piece
    assert "\x1b" not in result.stderr and "\r" not in result.stderr
    assert not any(other.startswith("name") for other in result.stderr.splitlines()), result.stderr[-1500:]
