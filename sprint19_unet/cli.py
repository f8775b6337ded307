"""Command-line interface: ``python -m sprint19_unet COMMAND`` or ``sprint19-unet COMMAND``.

Every subcommand has ``--help``. A mistake in the user's input ends the program
with one line on stderr (no traceback) and exit code 2.
"""

from __future__ import annotations

import argparse
import os
import sys

from sprint19_unet.errors import Sprint19Error

EXIT_USER_ERROR = 2


def _quiet_tensorflow() -> None:
    # TensorFlow's C++ start-up lines say nothing to a student; keep real warnings.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


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
    parser.add_argument("--padding", choices=("same", "valid"), default="same", help="convolution padding")
    parser.set_defaults(run=_run_summary)


def _run_summary(args) -> int:
    from sprint19_unet.model import build_unet, count_conv_layers, paper_unet

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
        help="the one-minute demo on embedded synthetic data",
        description="Build the default TGS-size U-Net and print its layer table.",
    )
    parser.set_defaults(run=_run_demo)


def _run_demo(args) -> int:
    from sprint19_unet.model import build_unet, count_conv_layers

    model = build_unet((128, 128, 1))
    model.summary(line_length=110)
    print(
        f"input {model.input_shape[1:]} → output {model.output_shape[1:]}, "
        f"{count_conv_layers(model)} convolutional layers, {model.count_params():,} parameters"
    )
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
    for add in (_add_demo, _add_summary):
        add(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI.

    Args:
        argv: arguments without the program name (default: ``sys.argv[1:]``).

    Returns:
        The exit code: 0 on success, 2 for a user error (one line on stderr).

    Example:
        >>> main(["summary", "--size", "64", "--base-filters", "4", "--depth", "2"])  # doctest: +SKIP
        0
    """
    _quiet_tensorflow()
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except Sprint19Error as error:
        print(f"sprint19-unet: error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("sprint19-unet: interrupted", file=sys.stderr)
        return 130
