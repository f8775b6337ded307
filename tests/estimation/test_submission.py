"""The Kaggle submission (estimation/submission.py): written, checked against the test set, and refused
with one clear error when its ids, RLE or encoding are wrong."""

from pathlib import Path

import numpy as np
import pytest
from cli_helpers import assert_one_line_error, run_cli

import sprint19_unet as s19
from sprint19_unet import Sprint19Error


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


# === Submission files (finding 9) ===


def _submission(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "submission.csv"
    path.write_bytes(content)
    return path


def test_submission_that_is_not_utf8(tmp_path, tgs):
    path = _submission(tmp_path, b"id,rle_mask\nt1,\nt2\xe9,\n")
    pattern = r"submission '.*submission\.csv': expected a UTF-8 CSV file; received bytes that are not UTF-8 text"
    with pytest.raises(Sprint19Error, match=pattern):
        s19.check_submission(path, ["t1", "t2"])
    assert_one_line_error(run_cli("check-submission", path, "--data", tgs), pattern)


def test_submission_with_a_field_over_the_csv_limit(tmp_path, tgs):
    path = _submission(tmp_path, b"id,rle_mask\nt1,\nt2," + b"1" * 131_073 + b"\n")
    pattern = r"submission '.*submission\.csv': expected a valid CSV file; received malformed CSV \(field larger than field limit"
    with pytest.raises(Sprint19Error, match=pattern):
        s19.read_submission(path)
    assert_one_line_error(run_cli("check-submission", path, "--data", tgs), pattern)


def test_submission_with_a_byte_order_mark_is_accepted(tmp_path, tgs):
    written = s19.write_submission(["t1", "t2"], np.ones((2, 101, 101), np.uint8), tmp_path / "plain.csv")
    path = _submission(tmp_path, b"\xef\xbb\xbf" + written.read_bytes())
    ids, masks = s19.read_submission(path)
    assert ids == ["t1", "t2"] and masks.sum() == 2 * 101 * 101
    assert s19.check_submission(path, ["t1", "t2"])["rows"] == 2
    result = run_cli("check-submission", path, "--data", tgs)
    assert result.returncode == 0 and "ok — 2 rows" in result.stdout, result.stderr[-1500:]


def test_train_and_depths_csv_with_a_byte_order_mark_are_accepted(tgs):
    for name in ("train.csv", "depths.csv"):
        (tgs / name).write_bytes(b"\xef\xbb\xbf" + (tgs / name).read_bytes())
    assert s19.load_tgs(tgs).depths.tolist() == [10, 20]
