"""Training: data → split → batches → U-Net → fit, with checkpoints that survive a kill.

:func:`train` takes one :class:`~sprint19_unet.training.config.TrainConfig` and returns
the best model and the per-epoch history. Everything it writes lives in
``config.output_dir`` (see :mod:`sprint19_unet.training.checkpoints`); ``resume=True``
continues an interrupted run from its last completed epoch with the same history.

Example:
    Not run by the doctests: even this tiny run trains for seconds and prints timed progress
    lines; tests/training/test_fit.py runs training.
    >>> config = TrainConfig(num_samples=40, epochs=1, base_filters=4, depth=2,
    ...                      input_size=104, output_dir="/tmp/doc-run")  # doctest: +SKIP
    >>> model, history = train(config)                                  # doctest: +SKIP
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from pathlib import Path

import keras
import numpy as np

from sprint19_unet.atomic import ensure_writable
from sprint19_unet.data.augment import AugmentConfig
from sprint19_unet.training.batches import SegmentationBatches
from sprint19_unet.training.checkpoints import (
    ResumableEarlyStopping,
    ResumableReduceLROnPlateau,
    RunCheckpoint,
    RunDirectory,
)
from sprint19_unet.training.config import WHOLE_IMAGE_MONITORS, TrainConfig
from sprint19_unet.data.formats import SegmentationData
from sprint19_unet.data.datasets import load_dataset
from sprint19_unet.training.distribute import check_global_batch_size, data_parallel, evenly_split_count
from sprint19_unet.errors import bad_input, check_finite
from sprint19_unet.data.input_spec import InputSpec
from sprint19_unet.training.losses import LOSSES, get_loss
from sprint19_unet.training.metrics import TgsScore, ThresholdedIoU
from sprint19_unet.unet.model import build_unet
from sprint19_unet.data.prepare import stratified_split
from sprint19_unet.outputs import refuse_overlap
from sprint19_unet.training.memory import check_memory
from sprint19_unet.training.sanity import check_training_masks, warn_if_no_better_than_empty
from sprint19_unet.data.weight_map import class_balance_weights, weight_maps

logger = logging.getLogger(__name__)

# Fields that may change when a run is resumed (everything else must match).
RESUMABLE_CHANGES = (
    "epochs", "early_stopping_patience", "reduce_lr_patience", "tensorboard", "workers", "distribute", "learning_rate",
    "run_eagerly",
)
# "auto" runs eagerly (no graph tracing) a whole run of at most this many training steps.
EAGER_STEPS = 20


# === Data ===


def split_indices(data: SegmentationData, val_fraction: float = 0.2, seed: int = 0):
    """The deterministic train/validation split of labelled data (stratified by mask coverage).

    Args:
        data: labelled data.
        val_fraction: share held out for validation.
        seed: the split's seed.

    Returns:
        ``(train_index, val_index)``, sorted index arrays into ``data``.

    Raises:
        Sprint19Error: for data without masks or with NaN/infinite pixels.

    Example:
        >>> train_index, val_index = split_indices(load_dataset("synthetic", num_samples=20))
        >>> len(train_index), len(val_index)   # a fifth of each coverage class, at least one
        (14, 6)
    """
    if data.masks is None:
        raise bad_input("data", "images without masks", "labelled data", "Train on train/ (with masks), not test/.")
    check_finite("data.images", data.images, "Replace them (e.g. np.nan_to_num) or fix the code that made the array.")
    masks = data.masks if data.masks.max() <= 1 else (data.masks > 0).astype("uint8")
    return stratified_split(masks, val_fraction, seed)


def at_working_scale(data: SegmentationData, spec: InputSpec) -> SegmentationData:
    """The data resized by ``spec.scale`` (unchanged at the default scale 1, native resolution)."""
    if spec.scale == 1:
        return data
    masks = None if data.masks is None else spec.rescale_masks(data.masks)
    return SegmentationData(data.ids, spec.rescale_images(data.images), masks, data.depths)


def split_data(config: TrainConfig, data: SegmentationData):
    """The train/validation split of ``train``, as model-ready tiles (for notebooks and checks).

    Training itself streams random tiles (:class:`~sprint19_unet.training.batches.SegmentationBatches`);
    this cuts each image into the tiles that cover it once
    (:meth:`~sprint19_unet.data.input_spec.InputSpec.grid_tiles`) — for images that fit one
    tile (TGS 101 → 128) that is one mirrored image per image, as the model sees it.

    Args:
        config: gives ``val_fraction``, ``seed`` and the input spec (size, padding, scale).
        data: labelled data.

    Returns:
        ``(x_train, y_train, x_val, y_val, val_index)``; ``val_index`` indexes ``data``.

    Example:
        >>> data = load_dataset("synthetic", num_samples=20)
        >>> split_data(TrainConfig(), data)[2].shape
        (6, 128, 128, 1)
    """
    spec = InputSpec.from_config(config)
    train_index, val_index = split_indices(data, config.val_fraction, config.seed)
    data = at_working_scale(data, spec)
    x_train, y_train = spec.grid_tiles(data.images[train_index], data.masks[train_index])
    x_val, y_val = spec.grid_tiles(data.images[val_index], data.masks[val_index])
    return x_train, y_train, x_val, y_val, val_index


def training_class_weights(config: TrainConfig, masks: np.ndarray):
    """Eq. 2's ``w_c`` as ``config.class_balance`` says: over all training masks, per image, or none."""
    if config.class_balance == "dataset":
        return class_balance_weights(masks, num_classes=max(config.num_classes, 2))
    return "balanced" if config.class_balance == "image" else None


class WeightMapBatches(SegmentationBatches):
    """Batches with the paper's Eq. 2 weight map as per-pixel sample weights.

    The weights are computed after augmentation and cropping, from the masks the
    model is trained on, so they always match the labels. Yields
    ``(images, masks, weights)``; Keras applies the weights to the loss only, the
    metrics stay unweighted.

    Args:
        *args: as :class:`~sprint19_unet.training.batches.SegmentationBatches`.
        class_weights: ``w_c``: a ``{class: weight}`` dict (balanced over the
            training set), ``"balanced"`` (per image) or None.
        border_class: the class whose pixels separate the objects.
        **kwargs: as :class:`~sprint19_unet.training.batches.SegmentationBatches`.
    """

    def __init__(self, *args, class_weights=None, border_class: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.class_weights = class_weights
        self.border_class = border_class

    def __getitem__(self, index):
        images, masks = super().__getitem__(index)
        weights = weight_maps(masks, class_weights=self.class_weights, border_class=self.border_class)
        return images, masks, weights[..., 0]


# === Model ===


def _optimizer(config: TrainConfig, steps_per_epoch: int) -> keras.optimizers.Optimizer:
    learning_rate = config.learning_rate
    if config.lr_schedule == "cosine":
        learning_rate = keras.optimizers.schedules.CosineDecay(learning_rate, config.epochs * steps_per_epoch)
    if config.optimizer == "sgd":
        return keras.optimizers.SGD(learning_rate, momentum=0.99)  # the paper's momentum
    if config.optimizer == "adamw":
        return keras.optimizers.AdamW(learning_rate)
    return keras.optimizers.Adam(learning_rate)


def monitored_metric(config: TrainConfig) -> tuple[str, str]:
    """The validation metric that picks the best model, and whether higher is better.

    Example:
        >>> monitored_metric(TrainConfig())
        ('val_tgs_score', 'max')
    """
    if config.monitor != "auto":
        return config.monitor, "min" if config.monitor.endswith("loss") else "max"
    return ("val_tgs_score", "max") if config.num_classes == 1 else ("val_iou", "max")


def run_eagerly(config: TrainConfig, steps_per_epoch: int | None) -> bool:
    """Whether to train without graph tracing: ``config.run_eagerly``, resolving "auto".

    Tracing the training step costs seconds (TensorFlow: about 5 s for a small U-Net on a
    2-core CPU) and then saves a fraction of a second per step, so "auto" runs eagerly
    only a whole run of at most :data:`EAGER_STEPS` steps (a notebook's quick check);
    never with ``distribute`` or when the number of steps is unknown.

    Example:
        >>> run_eagerly(TrainConfig(epochs=2), steps_per_epoch=6), run_eagerly(TrainConfig(epochs=2), 60)
        (True, False)
    """
    if config.run_eagerly != "auto":
        return bool(config.run_eagerly)
    return steps_per_epoch is not None and not config.distribute and config.epochs * steps_per_epoch <= EAGER_STEPS


def build_and_compile(
    config: TrainConfig, channels: int, input_stats=None, steps_per_epoch: int | None = None
) -> keras.Model:
    """Build the U-Net of ``config`` and compile it with its loss, optimizer and metrics.

    Args:
        config: model, loss and optimizer fields.
        channels: input channels (1 for TGS).
        input_stats: ``(mean, std)`` of the training images when ``config.standardize``.
        steps_per_epoch: batches per epoch (sets the length of a cosine schedule, and
            whether "auto" runs eagerly); None when unknown (then traced).

    Returns:
        The compiled model.

    Example:
        >>> build_and_compile(TrainConfig(base_filters=4, depth=2), 1).output_shape
        (None, 128, 128, 1)
    """
    previous_policy = keras.config.dtype_policy()
    keras.config.set_dtype_policy(config.mixed_precision)
    try:
        model = build_unet(
            (config.input_size, config.input_size, channels),
            num_classes=config.num_classes,
            base_filters=config.base_filters,
            depth=config.depth,
            padding=config.padding,
            batch_norm=config.batch_norm,
            dropout=config.dropout,
            up_mode=config.up_mode,
            # an encoder brings its own (ImageNet) preprocessing instead
            input_standardization=input_stats if config.standardize and config.encoder is None else None,
            encoder=config.encoder,
            encoder_weights=config.encoder_weights,
            freeze_encoder=config.freeze_encoder,
        )
    finally:
        keras.config.set_dtype_policy(previous_policy)
    if config.num_classes == 1:
        metrics = [ThresholdedIoU(name="iou"), TgsScore(name="tgs_score")]
    else:
        metrics = [keras.metrics.MeanIoU(config.num_classes, sparse_y_true=True, sparse_y_pred=False, name="iou")]
    model.compile(
        optimizer=_optimizer(config, steps_per_epoch or 1), loss=get_loss(config.loss, **config.loss_options), metrics=metrics,
        jit_compile=config.jit_compile, run_eagerly=run_eagerly(config, steps_per_epoch),
    )
    return model


# === Training ===

# The callback behind the whole-image monitors (val_rand_f, val_pixel_f) predicts and scores as the
# estimation stage does, so that stage registers it here when it is imported (import sprint19_unet does):
# training never imports estimation (tests/test_layout.py).
_WHOLE_IMAGE_VALIDATION: list = []


def register_whole_image_validation(factory) -> None:
    """Set the callback class that ``monitor="val_rand_f"`` / ``"val_pixel_f"`` adds to training.

    Args:
        factory: called as ``factory(images, masks, batch_size)``; returns a Keras callback
            that adds the monitors to each epoch's logs
            (:class:`sprint19_unet.estimation.whole_validation.WholeImageValidation`).

    Example:
        >>> from sprint19_unet.estimation.whole_validation import WholeImageValidation
        >>> register_whole_image_validation(WholeImageValidation)
    """
    _WHOLE_IMAGE_VALIDATION[:] = [factory]



def _resume_config(run: RunDirectory, config: TrainConfig) -> TrainConfig:
    saved = TrainConfig.from_json(run.config_path)
    changed = [
        name for name, value in config.to_dict().items()
        if value != getattr(saved, name) and name not in RESUMABLE_CHANGES and name != "output_dir"
    ]
    if changed:
        raise bad_input(
            f"resume of '{run.path}'",
            "changed settings " + ", ".join(f"{n}={getattr(config, n)!r} (was {getattr(saved, n)!r})" for n in changed),
            f"the run's own settings (only {', '.join(RESUMABLE_CHANGES)} may change)",
            "Resume with the same settings, or start a new run in another output directory.",
        )
    return saved.replace(**{name: getattr(config, name) for name in RESUMABLE_CHANGES})


def _start_or_resume(run: RunDirectory, config: TrainConfig, state: dict | None, train_batches):
    """A new compiled model (and the run's config.json), or the resume checkpoint's; and the epoch to start at."""
    if state is None:
        held = train_batches.images  # what the tiles are cut from: the training images, mirrored
        input_stats = (float(held.mean()), max(float(held.std()), 1e-6))
        model = build_and_compile(config, held.shape[-1], input_stats, steps_per_epoch=len(train_batches))
        run.path.mkdir(parents=True, exist_ok=True)
        config.save(run.config_path)
        return model, 0
    model = run.load_resume_model(state)
    model.run_eagerly = run_eagerly(config, len(train_batches))  # not part of a saved model
    if config.lr_schedule == "constant":  # a resume may lower the learning rate, e.g. after NaN
        model.optimizer.learning_rate.assign(config.learning_rate)
    config.save(run.config_path)
    logger.info("resuming %s after epoch %d", run.path, state["epoch"])
    return model, state["epoch"]


def _verbosity(verbose) -> int:
    if verbose == "auto":
        return 1 if sys.stdout.isatty() else 2
    return int(verbose)


def train(config: TrainConfig, data: SegmentationData | None = None, callbacks=(), resume: bool = False, verbose="auto"):
    """Train a U-Net as ``config`` says, writing everything into ``config.output_dir``.

    Args:
        config: the run's settings.
        data: labelled data to train on; by default ``load_dataset(config.data, "train", …)``
            (:func:`sprint19_unet.data.datasets.load_dataset`).
        callbacks: extra Keras callbacks (e.g. the notebooks' live view).
        resume: continue the run in ``output_dir`` from its last completed epoch.
            Without it, an output directory that already holds a run is refused,
            so nothing written is ever overwritten by accident.
        verbose: Keras verbosity; ``"auto"`` = progress bar on a terminal, one
            line per epoch otherwise.

    Returns:
        ``(model, history)``: the best model (by the monitored validation metric)
        and a dict of lists, one value per completed epoch (resumed epochs included).

    Raises:
        Sprint19Error: for bad data, a bad config or an output directory in use; with
            ``config.distribute``, for a ``batch_size`` that does not split evenly between
            the devices (see :mod:`sprint19_unet.training.distribute`).

    Example:
        Not run by the doctests: it trains a model (tests/training/test_fit.py does).
        >>> model, history = train(TrainConfig(num_samples=40, epochs=1, base_filters=4,
        ...                                    output_dir="/tmp/doc-run"))  # doctest: +SKIP
    """
    # With config.distribute, building, compiling and fitting all happen inside the
    # backend's data-parallel scope (JAX shards each batch during fit, not only at build).
    with data_parallel(config.distribute) as devices:
        return _train_in_scope(config, data, callbacks, resume, verbose, replicas=max(len(devices), 1))


def _channels(config: TrainConfig, data: SegmentationData | None) -> int:
    """The images' channels before they are loaded: the data's, else 3 for generated street scenes, else 1."""
    if data is not None:
        return int(data.images.shape[-1])
    return 3 if config.data == "shapes" else 1


def _train_in_scope(config: TrainConfig, data, callbacks, resume: bool, verbose, replicas: int = 1):
    """Train in the backend's device scope, step by step: run folder, data, batches, callbacks, fit, result."""
    run, state, config = _open_run(config, data, resume)
    data, train_index, val_index = _training_data(config, data)
    train_batches, validation = _batches(config, data, train_index, val_index, replicas)
    monitor, mode = monitored_metric(config)
    checkpoint, resumable = _checkpoint(run, state, config, monitor, mode)
    run.repair(state)
    with run.undo_if_no_epoch_completes():
        model, initial_epoch = _start_or_resume(run, config, state, train_batches)
        finished = state is not None and (state.get("stopped_early") or initial_epoch >= config.epochs)
        if not finished:
            train_batches.set_epoch(initial_epoch)
            whole = []  # before the schedule and the checkpoint, which read what it logs
            if monitor in WHOLE_IMAGE_MONITORS:
                whole = [_WHOLE_IMAGE_VALIDATION[0](data.images[val_index], data.masks[val_index], config.batch_size)]
            all_callbacks = [keras.callbacks.TerminateOnNaN(), *whole, *resumable.values(), *callbacks]
            if config.tensorboard:
                all_callbacks.append(keras.callbacks.TensorBoard(str(run.path / "tensorboard")))
            all_callbacks.append(checkpoint)  # last: records the counters the others just updated
            model.fit(train_batches, validation_data=validation, epochs=config.epochs, initial_epoch=initial_epoch,
                      callbacks=all_callbacks, verbose=_verbosity(verbose),
                      shuffle=False)  # SegmentationBatches shuffles reproducibly itself
        _refuse_a_non_finite_loss(checkpoint, run)
    if run.best_model_path.exists():
        model = keras.models.load_model(run.best_model_path)
    keys = sorted({key for row in checkpoint.history for key in row})
    history = {key: [row.get(key) for row in checkpoint.history] for key in keys}
    if config.num_classes == 1 and "val_tgs_score" in history:
        warn_if_no_better_than_empty(history["val_tgs_score"][-1], validation[1])
    return model, history


def _open_run(config: TrainConfig, data, resume: bool) -> tuple:
    """The run folder checked (a run there only with ``resume``; writable; memory enough): ``(run, state, config)``.

    When resuming, ``config`` becomes the run's own (:func:`_resume_config`).
    """
    if config.tensorboard and importlib.util.find_spec("tensorboard") is None:
        raise bad_input("tensorboard", "True on a machine without TensorBoard", "TensorBoard installed",
                        "Run `pip install tensorboard`, or train with tensorboard=false.")
    data_folder = config.data if Path(config.data).exists() else None
    refuse_overlap("output_dir", config.output_dir, {"data": data_folder},
                   "Choose an --output-dir beside the data folder, e.g. runs/unet.")
    run = RunDirectory(config.output_dir)
    state = run.load_state()
    if state is not None and not resume:
        raise bad_input(
            f"output directory '{run.path}'",
            f"a folder that already holds a run ({state['epoch']} epochs done)",
            "a new folder, or resume=True to continue that run",
            "Pass --resume to continue it, or choose another --output-dir.",
        )
    if state is not None:
        config = _resume_config(run, config)
        run.check_resumable(state)
    ensure_writable(run.path)  # before the long work, not after it; nothing is written until the data passed
    # before the data is generated and the model built: a run that cannot fit is refused in a second
    check_memory(config, _channels(config, data), generated_data=data is None)
    return run, state, config


def _training_data(config: TrainConfig, data) -> tuple:
    """The data at the model's working scale, split: ``(data, train_index, val_index)``."""
    keras.utils.set_random_seed(config.seed)
    data = data if data is not None else load_dataset(
        config.data, "train", num_samples=config.num_samples, seed=config.seed, foreground=config.foreground,
        num_classes=config.num_classes if config.num_classes > 1 else None,
    )
    train_index, val_index = split_indices(data, config.val_fraction, config.seed)  # refuses unlabelled data
    if config.num_classes == 1:
        check_training_masks(data.masks)
    return at_working_scale(data, InputSpec.from_config(config)), train_index, val_index


def _batches(config: TrainConfig, data, train_index, val_index, replicas: int) -> tuple:
    """Training batches (random tiles, streamed; Eq. 2 weights when the loss takes them) and the validation tiles.

    Returns:
        ``(train_batches, validation)``; ``validation`` is ``(x, y)`` or ``(x, y, weights)``, its tiles fixed
        and covering each held-out image; with several devices, every batch splits evenly between them.
    """
    spec = InputSpec.from_config(config)
    x_val, y_val = spec.grid_tiles(data.images[val_index], data.masks[val_index])
    train_images, train_masks = data.images[train_index], data.masks[train_index]
    samples = config.tiles_per_epoch or len(train_index) * spec.tiles_per_image(*train_images.shape[1:3])
    if config.batch_size > samples:
        raise bad_input(
            "batch_size", f"{config.batch_size} for {samples} training tiles per epoch",
            f"at most {samples}", "Lower batch_size, raise tiles_per_epoch or use more data.",
        )
    drop_last_batch = False
    if replicas > 1:  # data-parallel: every batch must split evenly between the devices
        check_global_batch_size(config.batch_size, replicas)
        drop_last_batch = evenly_split_count(samples, config.batch_size, replicas)[1]
        keep_val = evenly_split_count(len(x_val), config.batch_size, replicas)[0]
        x_val, y_val = x_val[:keep_val], y_val[:keep_val]
    batch_options, validation, batches_class = {}, (x_val, y_val), SegmentationBatches
    if LOSSES[config.loss].weight_map:  # Eq. 2 weights for the loss; the metrics stay unweighted
        class_weights = training_class_weights(config, train_masks)
        batch_options = {"class_weights": class_weights, "border_class": config.border_class}
        validation = (x_val, y_val, weight_maps(y_val, class_weights=class_weights,
                                                border_class=config.border_class)[..., 0])
        batches_class = WeightMapBatches
    augment = AugmentConfig.preset(config.augmentation) if config.augment else None
    train_batches = batches_class(
        train_images, train_masks, config.batch_size, augment=augment, spec=spec, samples_per_epoch=samples,
        seed=config.seed, workers=config.workers, drop_remainder=drop_last_batch, **batch_options,
    )
    return train_batches, validation


def _checkpoint(run: RunDirectory, state, config: TrainConfig, monitor: str, mode: str) -> tuple:
    """The run's checkpoint and the callbacks it saves and restores on resume: ``(checkpoint, resumable)``."""
    saved_callbacks = (state or {}).get("callbacks", {})
    resumable = {}
    if config.early_stopping_patience:
        resumable["early_stopping"] = ResumableEarlyStopping(
            monitor=monitor, mode=mode, patience=config.early_stopping_patience,
            initial_state=saved_callbacks.get("early_stopping"),
        )
    if config.reduce_lr_patience:
        resumable["reduce_lr"] = ResumableReduceLROnPlateau(
            monitor=monitor, mode=mode, factor=0.5, patience=config.reduce_lr_patience, min_lr=1e-6,
            initial_state=saved_callbacks.get("reduce_lr"),
        )
    checkpoint = RunCheckpoint(
        run, monitor, mode,
        history=(state or {}).get("history", ()), best=(state or {}).get("best"),
        best_epoch=(state or {}).get("best_epoch"), resumable=resumable,
    )
    return checkpoint, resumable


def _refuse_a_non_finite_loss(checkpoint: RunCheckpoint, run: RunDirectory) -> None:
    """One clear error when an epoch's loss was NaN or Inf (the last good checkpoint is kept)."""
    if checkpoint.non_finite_epoch is None:
        return
    kept = checkpoint.history[-1]["epoch"] if checkpoint.history else None
    raise bad_input(
        "loss",
        f"NaN or Inf in epoch {checkpoint.non_finite_epoch}, so training stopped",
        "finite values",
        (f"The last good checkpoint (epoch {kept}) is kept in '{run.path}'; resume it with a lower "
         "learning rate (--resume --learning-rate ...)." if kept else
         "Nothing was saved; lower the learning rate or check the data for NaN values."),
    )
