"""Command-line interface: ``python -m sprint19_unet COMMAND`` or ``sprint19-unet COMMAND``.

Every subcommand has ``--help``. A mistake in the user's input ends the program
with one line on stderr (no traceback) and exit code 2.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import inspect
import io
import logging
import re
import sys
import textwrap
import tokenize
import types
import typing
import warnings

from sprint19_unet import _STARTED  # the demo counts start-up time too (set before TensorFlow loads)
from sprint19_unet.data.layouts import layouts_in_words
from sprint19_unet.errors import Sprint19Error, printable
from sprint19_unet.estimation.tta import TTA_MODES
from sprint19_unet.unet.sizes import PADDINGS

EXIT_USER_ERROR = 2


def _one_line_warnings() -> None:
    """Print the package's warnings as one line each, like its errors (no source line)."""

    def show(message, category, filename, lineno, file=None, line=None):
        print(f"sprint19-unet: warning: {printable(message)}", file=file or sys.stderr)

    warnings.showwarning = show
    logging.basicConfig(level=logging.WARNING, format="sprint19-unet: %(levelname)s: %(message)s")


# === summary ===


def _add_summary(subparsers) -> None:
    parser = subparsers.add_parser(
        "summary",
        help="print the U-Net's layer table",
        description="Print the layer table, parameter count and conv-layer count of a U-Net.",
    )
    parser.add_argument("--paper", action="store_true", help="the paper's network: 572×572 → 388×388×2, valid padding")
    parser.add_argument("--size", type=int, default=128, help="input height and width (default 128)")
    parser.add_argument("--channels", type=int, default=1, help="input channels (default 1)")
    parser.add_argument("--num-classes", type=int, default=1, help="output classes (default 1: sigmoid mask)")
    parser.add_argument("--base-filters", type=int, default=64, help="channels of the first level (default 64)")
    parser.add_argument("--depth", type=int, default=4, help="number of max poolings (default 4)")
    parser.add_argument("--padding", choices=PADDINGS, default="same", help="convolution padding")
    parser.set_defaults(run=_run_summary)


def _run_summary(args) -> int:
    from sprint19_unet.unet.model import build_unet, count_conv_layers, paper_unet

    if args.paper:
        model = paper_unet()
    else:
        model = build_unet(
            (args.size, args.size, args.channels),
            num_classes=args.num_classes,
            base_filters=args.base_filters,
            depth=args.depth,
            padding=args.padding,
        )
    model.summary(line_length=110)
    print(
        f"input {model.input_shape[1:]} → output {model.output_shape[1:]}, "
        f"{count_conv_layers(model)} convolutional layers, {model.count_params():,} parameters"
    )
    return 0


# === demo ===


def _add_demo(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="the one-minute demo: train on synthetic salt data, show predictions",
        description=(
            "Generate TGS-like synthetic data, train a small U-Net within a wall-clock budget (measured "
            "speed, planned epochs), redraw validation predictions after each epoch (a window when there "
            "is a screen, else PNGs in --out/epochs), evaluate held-out images, save a figure (image / "
            "truth / prediction) and print IoU and the Kaggle metric. The last line is machine-readable."
        ),
    )
    parser.add_argument("--out", default="demo_output", help="folder for the figures and the run (default demo_output)")
    parser.add_argument("--seed", type=int, default=0, help="one seed for data, split and weights (default 0)")
    parser.add_argument("--seconds", type=float, default=60.0,
                        help="wall-clock budget up to the end of training, start-up included (default 60)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="train this many epochs on all images instead of planning by time (reproducible)")
    parser.add_argument("--no-show", action="store_true", help="no window: write the per-epoch figures to --out/epochs")
    parser.set_defaults(run=_run_demo)


def _run_demo(args) -> int:
    from sprint19_unet.teaching.demo import run_demo

    result = run_demo(out_dir=args.out, seed=args.seed, seconds=args.seconds, epochs=args.epochs,
                      show=False if args.no_show else None, log=print, started=_STARTED)
    print(f"iou={result['iou']:.3f} tgs_score={result['tgs_score']:.3f} seconds={result['seconds']:.1f} "
          f"epochs={result['epochs']} compute={result['compute']:.3f}")
    return 0


# === train ===


def field_comments(cls) -> dict[str, str]:
    """Each dataclass field's trailing ``# comment`` in the class's source code.

    The comment beside a :class:`~sprint19_unet.training.config.TrainConfig` field is its
    documentation, so the ``train`` command's help texts are read from there: written once.

    Args:
        cls: a dataclass defined in a source file.

    Returns:
        Field name → its comment without the ``#`` (fields without one are left out).

    Example:
        >>> from sprint19_unet.training.config import TrainConfig
        >>> field_comments(TrainConfig)["epochs"]
        'upper bound; early stopping usually ends sooner'
    """
    names = {field.name for field in dataclasses.fields(cls)}
    source = textwrap.dedent(inspect.getsource(cls))
    comments = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):  # a "#" inside a string is no comment
        declared = re.match(r"\s*([A-Za-z_]\w*)\s*:", token.line)
        if token.type == tokenize.COMMENT and declared and declared.group(1) in names:
            comments.setdefault(declared.group(1), token.string.lstrip("#").strip())
    return comments


_TRAIN_ONLY = {"config", "resume", "run"}  # the train command's own arguments, not TrainConfig fields
_WORDS = {"none": None, "null": None, "true": True, "false": False}


def _word(value) -> str:
    """A value as typed on the command line: ``None`` → ``none``, ``True`` → ``true``."""
    return str(value).lower() if value is None or isinstance(value, bool) else str(value)


def _value_parser(annotation):
    """The function that turns one command-line word into a value of ``annotation``.

    Handles int, float, str, bool (``true``/``false``), None (``none``) and unions of
    them, trying the narrowest type first; raises ValueError (argparse's "invalid …
    value") for a word that is none of them.
    """
    if annotation in (int, float, str):
        return annotation
    if annotation in (bool, type(None)):
        kind = annotation

        def parse(text: str):
            value = _WORDS.get(text.lower(), text)
            if not isinstance(value, kind):
                raise ValueError(text)
            return value

        parse.__name__ = "none" if kind is type(None) else "bool"
        return parse
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        order = (type(None), bool, int, float, str)  # str accepts anything: last
        options = sorted(typing.get_args(annotation), key=lambda option: order.index(option))
        parsers = [_value_parser(option) for option in options]

        def parse(text: str):
            for parser in parsers:
                try:
                    return parser(text)
                except ValueError:
                    pass
            raise ValueError(text)

        names = [parser.__name__ for parser in parsers]
        parse.__name__ = " or ".join(names[1:] + names[:1] if names[0] == "none" else names)  # "int or none"
        return parse
    raise TypeError(f"no command-line parser for a field of type {annotation!r}; add one to cli._value_parser")


def _option_pair(text: str) -> tuple:
    """``"alpha=0.7"`` → ``("alpha", 0.7)``: the value a number, ``true``/``false`` or ``none``."""
    name, equals, word = text.partition("=")
    if not equals or not name.strip():
        raise ValueError(text)
    value = _WORDS.get(word.strip().lower(), word.strip())
    for kind in (int, float):
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = kind(value)
    if isinstance(value, str):
        raise ValueError(text)
    return name.strip(), value


_option_pair.__name__ = "NAME=VALUE"  # argparse's error: invalid NAME=VALUE value: 'alpha'


def _metavar(annotation, choices) -> str:
    """What an option's value looks like in --help: ``{same,valid}``, ``INT|none``, ``{true,false,auto}``."""
    options = typing.get_args(annotation) or (annotation,)
    if choices:
        words = [_word(value) for value in choices] + (["none"] if type(None) in options else [])
        return "{" + ",".join(words) + "}"
    names = {int: "INT", float: "FLOAT", str: "TEXT", bool: "{true,false}", type(None): "none"}
    return "|".join(names[option] for option in options)


def add_dataclass_options(parser: argparse.ArgumentParser, cls, choices: dict | None = None) -> list[str]:
    """Add one ``--field-name`` option per dataclass field, typed and documented from the class.

    The type comes from the annotation (a bool field is ``--flag``/``--no-flag``; an
    Optional one also takes ``none``), the help from the field's trailing comment, and
    the default is shown. An option not given is left out of the parsed namespace, so
    only what the user typed overrides a config file.

    Args:
        parser: the (sub)parser to add the options to.
        cls: the dataclass, e.g. :class:`~sprint19_unet.training.config.TrainConfig`.
        choices: field name → its allowed values, shown in --help (checked by the dataclass).

    Returns:
        The field names, in order (each is the ``dest`` of its option).

    Example:
        >>> from sprint19_unet.training.config import TrainConfig
        >>> parser = argparse.ArgumentParser()
        >>> names = add_dataclass_options(parser, TrainConfig)
        >>> vars(parser.parse_args(["--up-mode", "resize", "--no-augment", "--foreground", "none"]))
        {'up_mode': 'resize', 'augment': False, 'foreground': None}
    """
    hints = typing.get_type_hints(cls)
    comments = field_comments(cls)
    choices = choices or {}
    for field in dataclasses.fields(cls):
        annotation = hints[field.name]
        flag = "--" + field.name.replace("_", "-")
        if annotation is bool:
            shown = flag if field.default else "--no-" + flag[2:]
            kind = {"action": argparse.BooleanOptionalAction}
        elif annotation is dict:  # loss_options → --loss-option NAME=VALUE, once per option (or --loss-options)
            flags = (flag.removesuffix("s"), flag)
            shown = "none"
            kind = {"type": _option_pair, "action": "append", "metavar": "NAME=VALUE"}
        else:
            shown = _word(field.default)
            kind = {"type": _value_parser(annotation), "metavar": _metavar(annotation, choices.get(field.name))}
        text = comments.get(field.name, field.name.replace("_", " "))
        parser.add_argument(*(flags if annotation is dict else (flag,)), dest=field.name, default=argparse.SUPPRESS,
                            help=f"{text} (default: {shown})".replace("%", "%%"), **kind)
    return [field.name for field in dataclasses.fields(cls)]


def _add_train(subparsers) -> None:
    from sprint19_unet.training.config import FIELD_CHOICES, TrainConfig

    parser = subparsers.add_parser(
        "train",
        help="train a U-Net (checkpoints, history, resume)",
        usage="%(prog)s [-h] [--config FILE] [--resume] [--FIELD-NAME VALUE | --[no-]FLAG ...]",  # printed on errors
        description=(
            "Train a U-Net. Defaults come from TrainConfig; --config reads a JSON file of fields, "
            "and the options below override it (one per TrainConfig field; help from its comment). "
            "Writes model.keras, history.csv, config.json and resume/ into --output-dir."
        ),
    )
    parser.add_argument("--config", metavar="FILE", help="JSON file with TrainConfig fields (e.g. a run's config.json)")
    parser.add_argument("--resume", action="store_true", help="continue the run in --output-dir from its last epoch")
    clash = _TRAIN_ONLY & {field.name for field in dataclasses.fields(TrainConfig)}
    if clash:
        raise RuntimeError(f"TrainConfig fields {sorted(clash)} clash with the train command's own arguments")
    add_dataclass_options(parser, TrainConfig, FIELD_CHOICES)
    parser.set_defaults(run=_run_train)


def _config_from_args(args):
    """The run's config: TrainConfig's defaults < the ``--config`` file < options typed on the command line.

    Args:
        args: ``build_parser().parse_args(["train", ...])``; options not typed are absent from it.

    Returns:
        The validated :class:`~sprint19_unet.training.config.TrainConfig`.

    Raises:
        Sprint19Error: for a bad config file or field value.

    Example:
        >>> _config_from_args(build_parser().parse_args(["train", "--up-mode", "resize"])).up_mode
        'resize'
    """
    from sprint19_unet.training.config import TrainConfig

    config = TrainConfig.from_json(args.config) if args.config else TrainConfig()
    skip = _TRAIN_ONLY
    changes = {key: value for key, value in vars(args).items() if key not in skip}  # typed: `--encoder none` too
    for key, value in changes.items():
        if isinstance(value, list):  # --loss-option NAME=VALUE …: added to (or replacing) the file's options
            changes[key] = {**getattr(config, key), **dict(value)}
    return config.replace(**changes)


def _run_train(args) -> int:
    from sprint19_unet.training.fit import train

    config = _config_from_args(args)
    _, history = train(config, resume=args.resume)
    best = {key: max(values) for key, values in history.items() if key.startswith("val_") and "loss" not in key}
    summary = " ".join(f"best_{key}={value:.4f}" for key, value in sorted(best.items()))
    print(f"trained {len(history.get('epoch', []))} epochs into {config.output_dir}: {summary}")
    return 0


# === predict and evaluate ===


def _add_predict(subparsers) -> None:
    parser = subparsers.add_parser(
        "predict",
        help="estimate masks: PNGs into a folder, or a Kaggle submission CSV",
        description=(
            "Predict masks for a folder of images, or for the test set of a Kaggle TGS folder. "
            "--out ending in .csv writes a Kaggle submission; otherwise one PNG mask per image."
        ),
    )
    parser.add_argument("--model", required=True, help="a model.keras written by train")
    parser.add_argument("--data", required=True,
                        help="images to predict, the test split of any layout: " + layouts_in_words("test"))
    parser.add_argument("--out", required=True, help="submission.csv, or a folder for PNG masks")
    parser.add_argument("--threshold", type=float, default=0.5, help="probability threshold (default 0.5)")
    parser.add_argument("--tta", nargs="?", const="flip", default="none", choices=TTA_MODES,
                        help="test-time augmentation: --tta (or --tta flip) averages with the mirrored image, "
                             "--tta dihedral over the 8 rotations and mirror images (default none)")
    parser.add_argument("--batch-size", type=int, default=16, help="images per prediction batch")
    parser.set_defaults(run=_run_predict)


def _run_predict(args) -> int:
    from sprint19_unet.estimation.files import predict_to_files

    written = predict_to_files(args.model, args.data, args.out, threshold=args.threshold, tta=args.tta,
                               batch_size=args.batch_size, verbose=1 if sys.stdout.isatty() else 0)
    print(f"wrote {written}")
    return 0


def _add_evaluate(subparsers) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="score a model on labelled data (IoU, Dice, Kaggle metric)",
        description="Predict a labelled set and print IoU, Dice, pixel accuracy and the Kaggle TGS score.",
    )
    parser.add_argument("--model", required=True, help="a model.keras written by train")
    parser.add_argument("--data", required=True,
                        help="labelled images, the training split of any layout: " + layouts_in_words("train"))
    parser.add_argument("--threshold", type=float, default=0.5, help="probability threshold (default 0.5)")
    parser.add_argument("--tta", nargs="?", const="flip", default="none", choices=TTA_MODES,
                        help="test-time augmentation: --tta (or --tta flip) averages with the mirrored image, "
                             "--tta dihedral over the 8 rotations and mirror images (default none)")
    parser.add_argument("--foreground", type=int, default=None, help="folder masks: the foreground value")
    parser.add_argument("--isbi", action="store_true",
                        help="also the ISBI 2012 pixel and Rand errors (the positive class is membrane)")
    parser.set_defaults(run=_run_evaluate)


def _run_evaluate(args) -> int:
    from sprint19_unet.estimation.files import evaluate_model

    report = evaluate_model(
        args.model, args.data, threshold=args.threshold, tta=args.tta, foreground=args.foreground, isbi=args.isbi
    )
    for key, value in report.items():
        print(f"{key}: {value}" if isinstance(value, list) else f"{key}: {value:.4f}")
    return 0


def _add_check_submission(subparsers) -> None:
    parser = subparsers.add_parser(
        "check-submission",
        help="check a Kaggle submission CSV against the test images before uploading",
        description="Check the header, every run-length mask, and that the ids are exactly those of test/images.",
    )
    parser.add_argument("submission", help="the submission CSV")
    parser.add_argument("--data", required=True, help="the Kaggle TGS folder (its test/images give the ids)")
    parser.set_defaults(run=_run_check_submission)


def _run_check_submission(args) -> int:
    from sprint19_unet.data.formats import load_tgs
    from sprint19_unet.estimation.submission import check_submission

    test = load_tgs(args.data, split="test")
    summary = check_submission(args.submission, test.ids, shape=test.images.shape[1:3])
    print(
        f"{args.submission}: ok — {summary['rows']} rows, {summary['empty_masks']} empty masks, "
        f"mean coverage {summary['mean_coverage']:.1%}"
    )
    return 0


# === data ===


def _add_data(subparsers) -> None:
    parser = subparsers.add_parser("data", help="write a synthetic sample, describe a data folder, or download TGS")
    commands = parser.add_subparsers(title="data commands", metavar="DATA_COMMAND")
    commands.required = True
    sample = commands.add_parser(
        "sample",
        help="write synthetic TGS-like data in the exact Kaggle layout",
        description="Write train/images, train/masks, test/images, train.csv and depths.csv, like the Kaggle download.",
    )
    sample.add_argument("--out", required=True, help="folder to write (must be empty or absent)")
    sample.add_argument("--n", type=int, default=400, help="training images (default 400)")
    sample.add_argument("--test-n", type=int, default=100, help="test images (default 100)")
    sample.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    sample.set_defaults(run=_run_data_sample)
    describe = commands.add_parser(
        "describe",
        help="counts, sizes, mask values, empty masks and coverage of a data folder",
        description="Describe a data folder (any layout train reads) — the first thing to "
        "look at when predictions come out all black.",
    )
    describe.add_argument("path", help="the data: " + layouts_in_words("train"))
    describe.add_argument("--foreground", type=int, default=None, help="folder masks: the foreground value")
    describe.set_defaults(run=_run_data_describe)
    download = commands.add_parser(
        "download",
        help="download the real Kaggle TGS Salt data and unpack it for load_tgs",
        description=(
            "Download the TGS Salt Identification Challenge files with Kaggle's client library (kagglehub or "
            "kaggle: pip install kaggle), unpack them into train/images, train/masks, test/images, train.csv "
            "and depths.csv, and check the counts (4,000 / 4,000 / 18,000). Credentials: KAGGLE_USERNAME and "
            "KAGGLE_KEY (or KAGGLE_API_TOKEN), ~/.kaggle/kaggle.json, or Colab secrets; the account must have "
            "accepted the competition's rules at https://www.kaggle.com/c/tgs-salt-identification-challenge/rules."
        ),
    )
    download.add_argument("--out", required=True, help="folder to create (absent or empty; kept if already complete)")
    download.add_argument("--client", choices=("auto", "kagglehub", "kaggle"), default="auto",
                          help="Kaggle's client library to use (default auto: kagglehub if installed, else kaggle)")
    download.set_defaults(run=_run_data_download)


def _run_data_sample(args) -> int:
    from sprint19_unet.data.synthetic_salt import write_salt_sample

    root = write_salt_sample(args.out, n=args.n, test_n=args.test_n, seed=args.seed)
    print(f"wrote {args.n} training and {args.test_n} test images in Kaggle TGS layout to {root}")
    return 0


def _run_data_describe(args) -> int:
    from sprint19_unet.data.datasets import describe_dataset, format_description

    print(format_description(describe_dataset(args.path, foreground=args.foreground)))
    return 0


def _run_data_download(args) -> int:
    from sprint19_unet.data.download import download_tgs

    download_tgs(args.out, client=args.client, log=print)
    return 0


# === grade ===


def _add_grade(subparsers) -> None:
    from sprint19_unet.teaching.exercises import ASSIGNMENTS
    from sprint19_unet.teaching.grading import DEFAULT_CELL_TIMEOUT, DEFAULT_MEMORY, DEFAULT_TIMEOUT
    from sprint19_unet.teaching.grading.totals import EXPORTS

    parser = subparsers.add_parser(
        "grade",
        help="grade the students' exercise notebooks on cases they never saw: grades, totals, answers to mark",
        description=(
            "Run every *.ipynb under SUBMISSIONS (recursively; a student's notebooks are those in their first "
            "folder) in a room of its own: a temporary copy of its folder, its own Jupyter kernel in fast mode "
            "(SPRINT19_FAST=1), a memory limit, every process it starts killed at the end. Then ask the "
            "notebook's functions and model for answers on grade-time cases drawn now, and judge them here; the "
            "notebook's own checks decide nothing. Writes grades.csv (--out: one row per notebook and exercise) "
            "after each notebook, then totals.csv, answers.csv (written answers to mark) and summary.csv beside "
            "it. With --merge, fold the points marked in answers.csv into totals.csv without running notebooks."
        ),
    )
    parser.add_argument("submissions", nargs="?", help="a folder of notebooks (searched recursively), or one notebook")
    parser.add_argument("--out", default="grades.csv",
                        help="the grades CSV (default grades.csv); totals.csv, answers.csv and summary.csv go beside it")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"seconds for a notebook's cells, kernel start-up included (default {DEFAULT_TIMEOUT:g}); "
                             "the grader's questions have their own")
    parser.add_argument("--cell-timeout", type=float, default=DEFAULT_CELL_TIMEOUT,
                        help=f"seconds for one cell (default {DEFAULT_CELL_TIMEOUT:g}): a cell past it is interrupted "
                             "and the next cells still run; a kernel that does not stop is restarted")
    parser.add_argument("--jobs", type=int, default=1, help="notebooks run at once (default 1)")
    parser.add_argument("--memory", default=DEFAULT_MEMORY,
                        help=f"the most resident memory of one notebook's processes together (default {DEFAULT_MEMORY}: "
                             "two at once fit a 24 GiB machine)")
    parser.add_argument("--assignment", choices=sorted(ASSIGNMENTS), default=None,
                        help="the assignment every notebook holds (default: from each notebook's metadata, else its "
                             "file name)")
    parser.add_argument("--executed", default=None, metavar="DIR",
                        help="also save each executed notebook, outputs included, as DIR/<notebook>.ipynb (outside "
                             "SUBMISSIONS)")
    parser.add_argument("--export", choices=EXPORTS, default=None,
                        help="also write a gradebook to import: canvas.csv beside --out (needs --roster)")
    parser.add_argument("--roster", default=None, metavar="CSV",
                        help="the gradebook exported from Canvas, with a column 'folder' naming each student's "
                             "submission folder")
    parser.add_argument("--merge", default=None, metavar="ANSWERS",
                        help="instead of grading: fold the points marked in ANSWERS (answers.csv) into totals.csv "
                             "(and the export), reading the grades from --out")
    parser.set_defaults(run=_run_grade)


def _run_grade(args) -> int:
    from pathlib import Path

    from sprint19_unet.atomic import ensure_writable
    from sprint19_unet.errors import bad_input
    from sprint19_unet.teaching.grading import grade_submissions
    from sprint19_unet.teaching.grading.totals import (
        check_export, exercise_summary, read_answers, read_grades, summary_table, write_reports,
    )

    out = Path(args.out)
    if out.is_dir():
        raise bad_input(f"--out '{out}'", "a folder", "a CSV file path", "Pass e.g. --out grades.csv.")
    check_export(args.export, args.roster, out.parent)
    if args.merge is not None:
        if args.submissions is not None:
            raise bad_input("--merge", "SUBMISSIONS as well", "either SUBMISSIONS (to grade) or --merge (to fold the "
                            "marked answers into totals)", "Grade first, mark answers.csv, then run grade --merge.")
        rows = read_grades(out)
        marks = {key: points for key, (points, _) in read_answers(args.merge).items() if points is not None}
        for line in write_reports(out.parent, rows, marks, args.export, args.roster, answers=False):
            print(line)
        return 0
    if args.submissions is None:
        raise bad_input("grade", "no SUBMISSIONS", "a folder of notebooks, or --merge ANSWERS",
                        "Run e.g. python -m sprint19_unet grade submissions --out grades.csv.")
    ensure_writable(out.parent)  # before notebooks run for an hour
    grades = grade_submissions(args.submissions, out=out, timeout=args.timeout, cell_timeout=args.cell_timeout,
                               jobs=args.jobs, assignment=args.assignment, executed_dir=args.executed,
                               memory=args.memory, log=print)
    print(grades.summary())
    print()
    print(summary_table(exercise_summary(grades.rows)))
    for line in write_reports(out.parent, grades.rows, None, args.export, args.roster):
        print(line)
    print(f"wrote {out}: {len(grades.rows)} rows, {len(grades.runs)} notebooks")
    return 0


# === course ===


def _add_course(subparsers) -> None:
    parser = subparsers.add_parser("course", help="make the folder a course gives its students")
    commands = parser.add_subparsers(title="course commands", metavar="COURSE_COMMAND")
    commands.required = True
    release = commands.add_parser(
        "release",
        help="write the students' copy: the package, the exercise notebooks, no solutions",
        description=(
            "Write OUT: the package (pip-installable), the exercise notebooks and the background notebooks, never a "
            "solution notebook, with --source filled into every notebook's set-up cell so that each installs the "
            "package on Colab. Publish OUT at --source (a git repository the course controls, or a folder)."
        ),
    )
    release.add_argument("out", help="the folder to write (new or empty)")
    release.add_argument("--source", required=True,
                         help="where students' notebooks install the package from, as pip takes it: "
                              "git+https://…@tag or a folder")
    release.add_argument("--project", default=None, help="the project's checkout (default: the one installed)")
    release.set_defaults(run=_run_course_release)


def _run_course_release(args) -> int:
    from sprint19_unet.teaching.course import release

    out = release(args.out, args.source, args.project)
    print(f"wrote {out}: the package, {len(list((out / 'notebooks').glob('*.ipynb')))} notebooks (no solutions); "
          f"publish it at {args.source}")
    return 0


# === entry point ===


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand.

    Returns:
        The parser; ``parse_args`` sets ``args.run`` to the subcommand's function.

    Example:
        >>> build_parser().parse_args(["summary", "--paper"]).paper
        True
    """
    parser = argparse.ArgumentParser(
        prog="sprint19-unet",
        description="U-Net for teaching: the paper's network, TGS Salt data, training and estimation.",
    )
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    subparsers.required = True
    for add in (_add_demo, _add_train, _add_predict, _add_evaluate, _add_check_submission, _add_summary, _add_data,
                _add_grade, _add_course):
        add(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI.

    Run as ``python -m sprint19_unet`` or ``sprint19-unet``, the package's import
    has already moved the native libraries' log lines off the terminal
    (:mod:`sprint19_unet.native_logs`); called in-process, nothing is redirected.

    Args:
        argv: arguments without the program name (default: ``sys.argv[1:]``).

    Returns:
        The exit code: 0 on success, 2 for a user error (one line on stderr).

    Example:
        >>> main(["summary", "--size", "64", "--base-filters", "4", "--depth", "2"])  # doctest: +SKIP
        0
    """
    _one_line_warnings()
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except Sprint19Error as error:
        print(f"sprint19-unet: error: {printable(error)}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("sprint19-unet: interrupted", file=sys.stderr)
        return 130
