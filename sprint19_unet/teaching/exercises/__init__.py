"""The exercises of the assignment notebooks: self-checks for learning, grade-time cases for the grader.

After each exercise a notebook cell calls its check, e.g. ``s19.exercises.check_rle(rle_encode)``:
the check runs the student's function on cases of its own, here in the notebook, and prints one
line — ``✅ check_rle: 8/8 cases``, or ``❌`` with the failing case, what differed and a hint. The
check teaches; it decides no grade. The grader (``python -m sprint19_unet grade``,
:mod:`sprint19_unet.teaching.grading`) asks the same functions for answers on cases of its own,
drawn when grading starts, and judges them in its own process.

Each exercise is registered once, where its check is written (:mod:`.registry`): its visible
cases, its grade-time case generator, its comparison, its reference and its points.
:data:`EXERCISES`, :data:`ASSIGNMENTS`, :func:`describe` (the table the notebooks print at their
top) and README's table (``scripts/tables``) follow from it.


Example:
    >>> import sprint19_unet as s19
    >>> print(s19.exercises.describe("problem1").splitlines()[1])
     1. the Kaggle score of one image — you write tgs_image_score(true_mask, pred_mask) (1 point)
"""

from sprint19_unet.teaching.exercises.registry import ASSIGNMENTS, EXERCISES, Case, Exercise, Mismatch, describe
from sprint19_unet.teaching.exercises.self_check import FAIL_MARK, PASS_MARK, CheckResult
from sprint19_unet.teaching.exercises.problem1 import (
    check_pad_and_crop, check_rle, check_tgs_image_score, check_threshold_choice, check_training,
)
from sprint19_unet.teaching.exercises.problem2 import (
    PAPER_PARAMETERS, check_copy_and_crop, check_parameter_count, check_transposed_conv, check_valid_output_size,
    unet_parameter_count,
)
from sprint19_unet.teaching.exercises.written import MIN_WORDS, PLACEHOLDER, QUESTIONS, check_answer

__all__ = [
    "ASSIGNMENTS", "EXERCISES", "Case", "Exercise", "Mismatch", "describe", "CheckResult", "PASS_MARK", "FAIL_MARK",
    "check_tgs_image_score", "check_pad_and_crop", "check_training", "check_threshold_choice", "check_rle",
    "check_valid_output_size", "check_copy_and_crop", "check_parameter_count", "check_transposed_conv",
    "check_answer", "unet_parameter_count", "PAPER_PARAMETERS", "QUESTIONS", "PLACEHOLDER", "MIN_WORDS",
]
