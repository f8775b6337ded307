"""Training defaults in one dataclass, saved as ``config.json`` beside every model.

Every field has a comment; a JSON config is validated field by field, so a typo
or a wrong type gives one clear error instead of a surprise three epochs later.

Example:
    >>> config = TrainConfig(epochs=3, base_filters=8)
    >>> TrainConfig.from_dict(config.to_dict()) == config
    True
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import os
import types
import typing
from pathlib import Path

from sprint19_unet.atomic import read_json, write_text_atomically
from sprint19_unet.errors import Sprint19Error, bad_input, path_problem, shown
from sprint19_unet.data.augment import AUGMENTATIONS
from sprint19_unet.training.losses import LOSSES, get_loss, loss_names
from sprint19_unet.data.input_spec import MAX_SCALE
from sprint19_unet.unet.encoders import ENCODER_NAMES, ENCODERS, MIN_INPUT_SIZE
from sprint19_unet.unet.parts import UP_MODES
from sprint19_unet.unet.sizes import PADDINGS, unet_output_size

# The values a text field may take. Options of the model are defined in unet/ and imported here;
# those of training are defined here, once; the command line shows them from FIELD_CHOICES.
LOSS_NAMES = loss_names()  # the registry's (training/loss_registry.py)
PRECISION_POLICIES = ("float32", "mixed_float16", "mixed_bfloat16")
CLASS_BALANCES = ("dataset", "image", "none")
OPTIMIZERS = ("adam", "adamw", "sgd")
LR_SCHEDULES = ("constant", "cosine")
AUTO = "auto"  # jit_compile, run_eagerly and monitor: let Keras / train() decide
BOOL_OR_AUTO = (True, False, AUTO)
# Upper bounds that keep a typo from hanging or exhausting memory: the paper uses 572 and depth 4.
MAX_INPUT_SIZE = 4096
MAX_DEPTH = 10
MAX_SEED = 2**32 - 1  # NumPy's seed range
# Static sanity bounds that hold on any machine, a large GPU included: far beyond any sensible run, and low
# enough that a typo (an extra digit, 1e23) is refused here instead of exhausting memory or crashing a
# library. Whether a run within them fits the machine is train's memory estimate's question.
MAX_SAMPLES = 1_000_000
MAX_TILES_PER_EPOCH = 1_000_000
MAX_BASE_FILTERS = 1024
MAX_NUM_CLASSES = 1024
MAX_BATCH_SIZE = 65_536
MAX_EPOCHS = 100_000
MAX_PATIENCE = 100_000
MAX_WORKERS = 64
MAX_FOREGROUND = 65_535  # the largest value of a 16-bit mask
PATH_FIELDS = ("data", "output_dir", "encoder_weights")
# What `monitor` may name: the logs of train() (validation or training), or "auto".
# val_rand_f / val_pixel_f: the ISBI challenge's F-scores of the whole validation images (whole_validation.py)
WHOLE_IMAGE_MONITORS = ("val_rand_f", "val_pixel_f")
MONITORS = (AUTO, "val_loss", "val_iou", "val_tgs_score", "loss", "iou", "tgs_score", *WHOLE_IMAGE_MONITORS)
# Field → the values it may take (encoder: or None); validate() checks them, the command line shows them.
FIELD_CHOICES = {
    "padding": PADDINGS,
    "up_mode": UP_MODES,
    "encoder": ENCODER_NAMES,
    "loss": LOSS_NAMES,
    "class_balance": CLASS_BALANCES,
    "optimizer": OPTIMIZERS,
    "lr_schedule": LR_SCHEDULES,
    "augmentation": AUGMENTATIONS,
    "monitor": MONITORS,
    "mixed_precision": PRECISION_POLICIES,
    "jit_compile": BOOL_OR_AUTO,
    "run_eagerly": BOOL_OR_AUTO,
}


# The fix a choice field's error suggests, where "Use FIELD=DEFAULT." is not the whole story.
_CHOICE_FIXES = {
    "augmentation": "Use 'default' for TGS, 'paper' for the ISBI cells.",
    "class_balance": "Use 'dataset' (the paper).",
    "mixed_precision": "Use 'float32' on a CPU, 'mixed_float16' on a GPU.",
    "encoder": "Use encoder=None or 'vgg16'.",
}


def _either(values) -> str:
    """``('a', 'b', 'c')`` → ``"'a', 'b' or 'c'"``, for error messages."""
    quoted = [repr(value) for value in values]
    return " or ".join([", ".join(quoted[:-1]), quoted[-1]]) if len(quoted) > 1 else quoted[0]


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything a training run needs; the defaults train a good TGS model on a CPU.

    See the comment beside each field. Build one in Python, or from a JSON file
    with :meth:`from_json`; :meth:`validate` runs on construction.

    Raises:
        Sprint19Error: for a field with a bad value.

    Example:
        >>> TrainConfig().input_size
        128
    """

    # --- Data ---
    data: str = "synthetic"  # "synthetic", "shapes", or a folder of any layout (data/README.md, data/layouts.py)
    num_samples: int = 1000  # synthetic data only: how many images to generate
    foreground: int | None = None  # folder pairs: mask value that is foreground (ISBI membrane: 0); None = {0,1}/{0,255}
    val_fraction: float = 0.2  # held out for validation, stratified by salt coverage
    # --- Input size, padding and tiles ---
    input_size: int = 128  # model input tile; smaller images (TGS 101×101) are mirrored out to it, larger ones tiled
    padding: str = "same"  # "same" (output = input size) or "valid" (the paper's unpadded convs)
    scale: float = 1.0  # 1 = native resolution (the paper); e.g. 0.5 halves every image first, prediction resizes back
    tiles_per_epoch: int | None = None  # training tiles per epoch; None = enough to cover every training image once
    # --- Model ---
    num_classes: int = 1  # 1 = binary mask with sigmoid; ≥ 2 = softmax over classes
    base_filters: int = 16  # channels of the first level (paper: 64; 16 trains fast on a CPU)
    depth: int = 4  # number of 2×2 max poolings (paper: 4)
    batch_norm: bool = True  # BatchNorm after each 3×3 conv (not in the paper; trains faster)
    dropout: float = 0.0  # dropout at the end of the contracting path (paper: 0.5)
    up_mode: str = "transpose"  # "transpose" (paper's 2×2 up-conv) or "resize" (upsample + conv)
    standardize: bool = True  # (x − mean) / std of the training images, as a parameter-free first layer
    encoder: str | None = None  # None = paper's contracting path; "vgg16"/"resnet50" (ignores base_filters, depth, standardize)
    encoder_weights: str | None = None  # with an encoder: None (random, offline), "imagenet" or a .h5 weights file
    freeze_encoder: bool = False  # with an encoder: train only the expanding path (transfer learning)
    # --- Loss and optimiser ---
    loss: str = "bce_dice"  # what training minimises; sparse_cce or weighted_cce when num_classes ≥ 2
    loss_options: dict = dataclasses.field(default_factory=dict)  # the loss's options, e.g. {"alpha": 0.7} for tversky
    class_balance: str = "dataset"  # weighted_cce: Eq. 2's w_c balanced over the training set ("dataset", the paper), "image", "none"
    border_class: int = 0  # weighted_cce: the class separating Eq. 2's objects (0 = background; 1 = ISBI membranes, foreground=0)
    optimizer: str = "adam"  # the update rule (paper: SGD with momentum 0.99)
    learning_rate: float = 1e-3  # initial learning rate
    lr_schedule: str = "constant"  # "constant" (with reduce-on-plateau) or "cosine" (decay to 0 over all epochs)
    batch_size: int = 16  # images per step
    epochs: int = 30  # upper bound; early stopping usually ends sooner
    augment: bool = True  # paired flips, affine warps, brightness/contrast, elastic deformation
    augmentation: str = "default"  # with augment: "default" (TGS), "paper" (ISBI: both flips, quarter turns, no zoom), "paper_rigid"
    # --- Run control ---
    seed: int = 0  # one seed: data split, shuffling, augmentation and initial weights
    monitor: str = "auto"  # picks the best checkpoint; auto = val_tgs_score / val_iou; val_rand_f: ISBI Rand F of whole images
    early_stopping_patience: int = 8  # epochs without improvement before stopping; 0 = never stop early
    reduce_lr_patience: int = 4  # epochs without improvement before halving the learning rate; 0 = never
    mixed_precision: str = "float32"  # "float32", "mixed_float16" (GPU) or "mixed_bfloat16" (TPU/modern GPU)
    jit_compile: bool | str = "auto"  # XLA compilation: True, False or "auto" (Keras decides)
    run_eagerly: bool | str = "auto"  # no graph tracing; "auto": only for runs of ≤ 20 steps, where tracing costs more
    workers: int = 1  # threads preparing (augmenting) batches while the model trains; raise it when a GPU waits for data
    distribute: bool = False  # data-parallel on all visible GPUs (TF MirroredStrategy / JAX DataParallel); batch_size is global
    # Layout: images and models are channels-last (N, H, W, C), what GPU tensor cores prefer; build_unet enforces
    # it even where keras.json says channels_first, so there is no setting.
    tensorboard: bool = False  # also write TensorBoard logs into output_dir/tensorboard
    output_dir: str = "runs/unet"  # run directory: model.keras, history.csv, config.json, resume/

    def __post_init__(self) -> None:
        self.validate()

    # === Validation ===

    def validate(self) -> None:
        """Check every field's value (types are checked by :meth:`from_dict`).

        Raises:
            Sprint19Error: naming the first bad field.
        """
        for name, value in self.to_dict().items():
            _check_type(name, value, _FIELD_TYPES[name])
        for name in PATH_FIELDS:
            problem = getattr(self, name) is not None and path_problem(getattr(self, name))
            if problem:
                raise bad_input(f"config field '{name}'", problem, "a path (or a name) without NUL or unencodable "
                                "characters", f"Fix {name}, e.g. output_dir='runs/unet'.")
        self._validate_choices()
        self._validate_numbers()
        self._validate_combinations()
        self._validate_loss()

    def _validate_choices(self) -> None:
        """Each field of :data:`FIELD_CHOICES` holds one of its values (``encoder`` may also be None)."""
        for name, allowed in FIELD_CHOICES.items():
            value = getattr(self, name)
            default = TrainConfig.__dataclass_fields__[name].default
            optional = default is None
            if value in allowed or (optional and value is None):  # types were checked first: True is not 1 here
                continue
            raise bad_input(f"config field '{name}'", shown(value), ("null, " if optional else "") + _either(allowed),
                            _CHOICE_FIXES.get(name, f"Use {name}={default!r}."))

    def _validate_numbers(self) -> None:
        """Every number within its bounds (and a few other one-field rules)."""
        checks = [
            ("num_samples", 2 <= self.num_samples <= MAX_SAMPLES, f"an integer in [2, {MAX_SAMPLES:,}]",
             "Use e.g. num_samples=1000."),
            ("foreground", self.foreground is None or 0 <= self.foreground <= MAX_FOREGROUND,
             f"None or an integer in [0, {MAX_FOREGROUND}]", "Use None (masks of 0/1 or 0/255), or 0 for ISBI."),
            ("val_fraction", 0.0 < self.val_fraction < 1.0, "a fraction in (0, 1)", "Use val_fraction=0.2."),
            ("input_size", 8 <= self.input_size <= MAX_INPUT_SIZE, f"an integer in [8, {MAX_INPUT_SIZE}]",
             "Use input_size=128 for TGS; larger images are tiled, so the tile need not be large."),
            ("scale", 0 < self.scale <= MAX_SCALE, f"a number in (0, {MAX_SCALE:g}]", "Use 1.0 (native resolution)."),
            ("tiles_per_epoch", self.tiles_per_epoch is None or 1 <= self.tiles_per_epoch <= MAX_TILES_PER_EPOCH,
             f"None or an integer in [1, {MAX_TILES_PER_EPOCH:,}]",
             "Use None (cover every training image once per epoch)."),
            ("border_class", 0 <= self.border_class < max(self.num_classes, 2), "a class id below num_classes",
             "Use 0 (background), or 1 for ISBI membranes loaded with foreground=0."),
            ("num_classes", 1 <= self.num_classes <= MAX_NUM_CLASSES, f"an integer in [1, {MAX_NUM_CLASSES}]",
             "Use 1 for a binary mask."),
            ("base_filters", 1 <= self.base_filters <= MAX_BASE_FILTERS, f"an integer in [1, {MAX_BASE_FILTERS}]",
             "Use 16 (fast) or 64 (paper)."),
            ("depth", 1 <= self.depth <= MAX_DEPTH, f"an integer in [1, {MAX_DEPTH}]", "Use depth=4 as in the paper."),
            ("dropout", 0.0 <= self.dropout < 1.0, "a rate in [0, 1)", "Use 0.0 or 0.5 (paper)."),
            ("learning_rate", math.isfinite(self.learning_rate) and self.learning_rate > 0, "a positive finite number",
             "Use 1e-3 for Adam."),
            ("batch_size", 1 <= self.batch_size <= MAX_BATCH_SIZE, f"an integer in [1, {MAX_BATCH_SIZE:,}]",
             "Use batch_size=16."),
            ("epochs", 1 <= self.epochs <= MAX_EPOCHS, f"an integer in [1, {MAX_EPOCHS:,}]", "Use e.g. epochs=30."),
            ("seed", 0 <= self.seed <= MAX_SEED, f"an integer in [0, {MAX_SEED}]", "Use seed=0."),
            ("monitor", not (self.num_classes > 1 and self.monitor.endswith("tgs_score"))
             and not (self.num_classes > 2 and self.monitor in WHOLE_IMAGE_MONITORS),
             f"one of {', '.join(MONITORS)} (tgs_score only for num_classes=1, val_rand_f and val_pixel_f "
             "for at most 2)", "Use 'auto'."),
            ("early_stopping_patience", 0 <= self.early_stopping_patience <= MAX_PATIENCE,
             f"an integer in [0, {MAX_PATIENCE:,}]", "Use 8, or 0 for never."),
            ("reduce_lr_patience", 0 <= self.reduce_lr_patience <= MAX_PATIENCE, f"an integer in [0, {MAX_PATIENCE:,}]",
             "Use 4, or 0 for never."),
            ("workers", 1 <= self.workers <= MAX_WORKERS, f"an integer in [1, {MAX_WORKERS}]",
             "Use 1, or up to the number of CPU cores."),
            ("output_dir", bool(self.output_dir), "a folder path", "Pass e.g. output_dir='runs/unet'."),
        ]
        for name, ok, expected, fix in checks:
            if not ok:
                raise bad_input(f"config field '{name}'", shown(getattr(self, name)), expected, fix)

    def _validate_combinations(self) -> None:
        """Fields that must agree with each other: schedule and plateau, encoder and padding, size and depth."""
        if self.lr_schedule == "cosine" and self.reduce_lr_patience:
            raise bad_input(
                "config field 'reduce_lr_patience'",
                f"{self.reduce_lr_patience} with lr_schedule='cosine'",
                "0 (a cosine schedule sets the learning rate itself)",
                "Pass reduce_lr_patience=0, or lr_schedule='constant'.",
            )
        if self.encoder is None and (self.encoder_weights is not None or self.freeze_encoder):
            raise bad_input(
                "config field 'encoder'",
                f"None with encoder_weights={self.encoder_weights!r}, freeze_encoder={self.freeze_encoder}",
                f"an encoder ({_either(ENCODER_NAMES)}) when encoder_weights or freeze_encoder is set",
                "Set encoder='vgg16', or leave encoder_weights=None and freeze_encoder=False.",
            )
        if self.encoder is None:  # the checks above passed, so the arithmetic is safe
            try:
                unet_output_size(self.input_size, self.depth, self.padding)
            except Sprint19Error as error:
                raise Sprint19Error(f"config field 'input_size': {error}") from None
        if self.encoder is not None:
            if self.padding != "same":
                raise bad_input(
                    "config field 'padding'", f"{self.padding!r} with encoder={self.encoder!r}",
                    "'same' (a pretrained encoder pads its convolutions)", "Use padding='same'.",
                )
            stride = ENCODERS[self.encoder].total_stride
            if self.input_size % stride or self.input_size < MIN_INPUT_SIZE:
                raise bad_input(
                    "config field 'input_size'", f"{self.input_size} with encoder={self.encoder!r}",
                    f"a multiple of {stride} (the encoder's total stride), at least {MIN_INPUT_SIZE}",
                    "Use input_size=128.",
                )

    def _validate_loss(self) -> None:
        """The loss trains this many outputs, and its options are its own, with values it accepts."""
        spec = LOSSES[self.loss]
        if not spec.trains(self.num_classes):
            fitting = loss_names(self.num_classes)
            raise bad_input(
                "config field 'loss'", f"{self.loss!r} with num_classes={self.num_classes}",
                f"{_either(fitting)} for a {'sigmoid (binary)' if self.num_classes == 1 else 'softmax'} model",
                f"Use loss={fitting[0]!r}, or num_classes={2 if self.num_classes == 1 else 1}.",
            )
        for key, value in self.loss_options.items():
            if not isinstance(key, str) or not (value is None or isinstance(value, (bool, int, float))):
                raise bad_input("config field 'loss_options'", shown({key: value}),
                                "option names with a number, true/false or null each",
                                f"Use e.g. {json.dumps(dict(list(spec.options().items())[:1]))}.")
        try:
            get_loss(self.loss, **self.loss_options)
        except Sprint19Error as error:
            raise Sprint19Error(f"config field 'loss_options': {error}") from None

    # === Conversion ===

    def to_dict(self) -> dict:
        """The fields as a plain dict (JSON-ready)."""
        return dataclasses.asdict(self)

    def replace(self, **changes) -> TrainConfig:
        """A copy with some fields changed (validated).

        Example:
            >>> TrainConfig().replace(epochs=2).epochs
            2
        """
        return TrainConfig.from_dict({**self.to_dict(), **changes})

    @classmethod
    def from_dict(cls, values: dict, source: str = "config") -> TrainConfig:
        """Build a config from a dict, checking names and types field by field.

        Args:
            values: field names to values; missing fields take their defaults.
            source: where the values came from, for error messages (e.g. a file name).

        Returns:
            The validated config.

        Raises:
            Sprint19Error: for an unknown field (with the closest valid name) or a
                value of the wrong type.

        Example:
            >>> TrainConfig.from_dict({"epochs": 5}).epochs
            5
        """
        if not isinstance(values, dict):
            raise bad_input(source, type(values).__name__, "a JSON object of field: value", "See TrainConfig's fields.")
        for name, value in values.items():
            if name not in _FIELD_TYPES:
                close = difflib.get_close_matches(str(name), list(_FIELD_TYPES), n=1)
                hint = f"Did you mean '{close[0]}'?" if close else f"Valid fields: {', '.join(_FIELD_TYPES)}."
                raise bad_input(f"{source}: field '{name}'", "an unknown field", "a TrainConfig field", hint)
            _check_type(name, value, _FIELD_TYPES[name], source)
        return cls(**values)

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> TrainConfig:
        """Read and validate a JSON config file.

        Args:
            path: the file, e.g. ``runs/unet/config.json``.

        Returns:
            The config.

        Raises:
            Sprint19Error: for a missing file, invalid JSON, or a bad field.
        """
        values = read_json(path, f"config file '{path}'", "a JSON object of field: value", "Fix or delete the file.")
        return cls.from_dict(values, source=f"config file '{path}'")

    def save(self, path: str | os.PathLike) -> Path:
        """Write the config as JSON, atomically.

        Returns:
            The path written.
        """
        return write_text_atomically(path, json.dumps(self.to_dict(), indent=2) + "\n")


_FIELD_TYPES = {field.name: typing.get_type_hints(TrainConfig)[field.name] for field in dataclasses.fields(TrainConfig)}


def _type_name(expected) -> str:
    args = typing.get_args(expected)
    if args:
        return " or ".join("null" if a is type(None) else a.__name__ for a in args)
    return expected.__name__


def _matches(value, expected) -> bool:
    if typing.get_origin(expected) in (typing.Union, types.UnionType):
        return any(_matches(value, option) for option in typing.get_args(expected))
    if expected is type(None):
        return value is None
    if expected is bool:
        return isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if expected is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, expected)


def _check_type(name: str, value, expected, source: str = "config") -> None:
    if not _matches(value, expected):
        raise Sprint19Error(
            f"{source}: field '{name}': expected {_type_name(expected)}; "
            f"received {shown(value)} ({type(value).__name__}). Fix the value's type, e.g. {name}="
            f"{TrainConfig.__dataclass_fields__[name].default!r}."
        )
