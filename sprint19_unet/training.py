"""Training: data → split → batches → U-Net → fit, with checkpoints that survive a kill.

:func:`train` takes one :class:`~sprint19_unet.config.TrainConfig` and returns
the best model and the per-epoch history. Everything it writes lives in
``config.output_dir`` (see :mod:`sprint19_unet.checkpoints`); ``resume=True``
continues an interrupted run from its last completed epoch with the same history.

Example:
    >>> config = TrainConfig(num_samples=40, epochs=1, base_filters=4, depth=2,
    ...                      input_size=104, output_dir="/tmp/doc-run")  # doctest: +SKIP
    >>> model, history = train(config)                                  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path

import keras
import numpy as np

from sprint19_unet.atomic import ensure_writable
from sprint19_unet.augment import AugmentConfig
from sprint19_unet.batches import SegmentationBatches
from sprint19_unet.checkpoints import (
    ResumableEarlyStopping,
    ResumableReduceLROnPlateau,
    RunCheckpoint,
    RunDirectory,
)
from sprint19_unet.config import TrainConfig
from sprint19_unet.data import SegmentationData, load_folder_pairs, load_tgs
from sprint19_unet.distribute import check_global_batch_size, data_parallel, evenly_split_count
from sprint19_unet.errors import bad_input, check_finite
from sprint19_unet.losses import get_loss
from sprint19_unet.metrics import TgsScore, ThresholdedIoU
from sprint19_unet.model import build_unet
from sprint19_unet.prepare import crop_to_size, pad_to_size, resize_images, resize_masks, stratified_split
from sprint19_unet.sanity import check_training_masks, warn_if_no_better_than_empty
from sprint19_unet.sizes import unet_output_size
from sprint19_unet import synthetic
from sprint19_unet.weight_map import weight_maps

logger = logging.getLogger(__name__)

# Fields that may change when a run is resumed (everything else must match).
RESUMABLE_CHANGES = (
    "epochs", "early_stopping_patience", "reduce_lr_patience", "tensorboard", "workers", "distribute", "learning_rate",
)


# === Data ===


def load_training_data(config: TrainConfig) -> SegmentationData:
    """Load the labelled data named by ``config.data``.

    Args:
        config: ``data`` is ``"synthetic"`` (TGS-like salt images,
            ``num_samples`` of them), ``"shapes"`` (multi-class scenes), a folder
            in Kaggle TGS layout (``train/images``), or a folder with
            ``images/`` and ``masks/`` (e.g. ISBI 2012).

    Returns:
        The labelled data.

    Raises:
        Sprint19Error: when the folder matches no known layout.

    Example:
        >>> len(load_training_data(TrainConfig(num_samples=4)))
        4
    """
    if config.data == "synthetic":
        images, masks, depths = synthetic.make_salt_dataset(config.num_samples, seed=config.seed)
        return SegmentationData([f"synthetic_{i:05d}" for i in range(len(images))], images, masks, depths)
    if config.data == "shapes":
        images, labels = synthetic.make_shapes_dataset(config.num_samples, num_classes=max(config.num_classes, 2), seed=config.seed)
        return SegmentationData([f"shapes_{i:05d}" for i in range(len(images))], images, labels)
    root = Path(config.data)
    if (root / "train" / "images").is_dir():
        return load_tgs(root, split="train")
    if (root / "images").is_dir() and (root / "masks").is_dir():
        return load_folder_pairs(root / "images", root / "masks", foreground=config.foreground,
                                 num_classes=config.num_classes if config.num_classes > 1 else None)
    raise bad_input(
        f"data '{root}'",
        "a path with neither train/images/ (Kaggle TGS layout) nor images/ + masks/" if root.exists() else "a path that does not exist",
        "'synthetic', 'shapes', a Kaggle TGS folder, or a folder with images/ and masks/",
        "See data/README.md for the layouts; `python -m sprint19_unet data sample --out DIR` writes an example.",
    )


def model_input_arrays(images: np.ndarray, config: TrainConfig) -> np.ndarray:
    """Bring images to the model's input size: reflect-pad when smaller, resize when larger.

    Args:
        images: (N, H, W, C) float32.
        config: gives ``input_size``.

    Returns:
        (N, input_size, input_size, C) float32.

    Example:
        >>> model_input_arrays(np.zeros((2, 101, 101, 1), "float32"), TrainConfig()).shape
        (2, 128, 128, 1)
    """
    size = config.input_size
    if images.shape[1] > size or images.shape[2] > size:
        return resize_images(images, size).astype("float32")
    return pad_to_size(images, size).astype("float32")


def model_target_arrays(masks: np.ndarray, config: TrainConfig) -> np.ndarray:
    """Bring masks to the model's output size (the same padding or resizing as the images).

    With ``padding="valid"`` the output is smaller than the input, so the
    padded masks are centre-cropped to the output size.

    Args:
        masks: (N, H, W, 1) integer labels.
        config: gives ``input_size`` and ``padding``.

    Returns:
        (N, out, out, 1) uint8.

    Example:
        >>> model_target_arrays(np.zeros((2, 101, 101, 1), "uint8"), TrainConfig()).shape
        (2, 128, 128, 1)
    """
    size = config.input_size
    if masks.shape[1] > size or masks.shape[2] > size:
        masks = resize_masks(masks, size)
    else:
        masks = pad_to_size(masks, size)
    output_size = unet_output_size(size, config.depth, config.padding)
    if output_size != size:
        masks = crop_to_size(masks, (output_size, output_size))
    return masks.astype("uint8")


def split_data(config: TrainConfig, data: SegmentationData):
    """The deterministic train/validation split of ``train``, as model-ready arrays.

    Args:
        config: gives ``val_fraction``, ``seed`` and the input size.
        data: labelled data.

    Returns:
        ``(x_train, y_train, x_val, y_val, val_index)``; ``val_index`` indexes ``data``.

    Example:
        >>> data = load_training_data(TrainConfig(num_samples=20))
        >>> split_data(TrainConfig(), data)[2].shape
        (4, 128, 128, 1)
    """
    if data.masks is None:
        raise bad_input("data", "images without masks", "labelled data", "Train on train/ (with masks), not test/.")
    check_finite("data.images", data.images, "Replace them (e.g. np.nan_to_num) or fix the code that made the array.")
    masks = data.masks if data.masks.max() <= 1 else (data.masks > 0).astype("uint8")
    train_index, val_index = stratified_split(masks, config.val_fraction, config.seed)
    x = model_input_arrays(data.images, config)
    y = model_target_arrays(data.masks, config)
    return x[train_index], y[train_index], x[val_index], y[val_index], val_index


class WeightMapBatches(SegmentationBatches):
    """Batches with the paper's Eq. 2 weight map as per-pixel sample weights.

    The weights are computed after augmentation, from the augmented masks, so
    they always match the labels. Yields ``(images, masks, weights)``.
    """

    def __getitem__(self, index):
        images, masks = super().__getitem__(index)
        return images, masks, weight_maps(masks)[..., 0]


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


def build_and_compile(config: TrainConfig, channels: int, input_stats=None, steps_per_epoch: int = 1) -> keras.Model:
    """Build the U-Net of ``config`` and compile it with its loss, optimizer and metrics.

    Args:
        config: model, loss and optimizer fields.
        channels: input channels (1 for TGS).
        input_stats: ``(mean, std)`` of the training images when ``config.standardize``.
        steps_per_epoch: batches per epoch (sets the length of a cosine schedule).

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
        optimizer=_optimizer(config, steps_per_epoch), loss=get_loss(config.loss), metrics=metrics, jit_compile=config.jit_compile
    )
    return model


# === Training ===


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


def _verbosity(verbose) -> int:
    if verbose == "auto":
        return 1 if sys.stdout.isatty() else 2
    return int(verbose)


def train(config: TrainConfig, data: SegmentationData | None = None, callbacks=(), resume: bool = False, verbose="auto"):
    """Train a U-Net as ``config`` says, writing everything into ``config.output_dir``.

    Args:
        config: the run's settings.
        data: labelled data to train on; by default :func:`load_training_data`.
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
            the devices (see :mod:`sprint19_unet.distribute`).

    Example:
        >>> model, history = train(TrainConfig(num_samples=40, epochs=1, base_filters=4,
        ...                                    output_dir="/tmp/doc-run"))  # doctest: +SKIP
    """
    # With config.distribute, building, compiling and fitting all happen inside the
    # backend's data-parallel scope (JAX shards each batch during fit, not only at build).
    with data_parallel(config.distribute) as devices:
        return _train_in_scope(config, data, callbacks, resume, verbose, replicas=max(len(devices), 1))


def _train_in_scope(config: TrainConfig, data, callbacks, resume: bool, verbose, replicas: int = 1):
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
    run.repair(state)
    ensure_writable(run.path)  # before the long work, not after it

    keras.utils.set_random_seed(config.seed)
    data = data if data is not None else load_training_data(config)
    x_train, y_train, x_val, y_val, _ = split_data(config, data)  # refuses unlabelled data clearly
    if config.num_classes == 1:
        check_training_masks(data.masks)
    if config.batch_size > len(x_train):
        raise bad_input(
            "batch_size", f"{config.batch_size} for {len(x_train)} training images",
            f"at most {len(x_train)}", "Lower batch_size or use more data.",
        )

    drop_last_batch = False
    if replicas > 1:  # data-parallel: every batch must split evenly between the devices
        check_global_batch_size(config.batch_size, replicas)
        drop_last_batch = evenly_split_count(len(x_train), config.batch_size, replicas)[1]
        keep_val = evenly_split_count(len(x_val), config.batch_size, replicas)[0]
        x_val, y_val = x_val[:keep_val], y_val[:keep_val]

    batches_class = WeightMapBatches if config.loss == "weighted_cce" else SegmentationBatches
    train_batches = batches_class(
        x_train, y_train, config.batch_size, augment=AugmentConfig() if config.augment else None, seed=config.seed,
        workers=config.workers, drop_remainder=drop_last_batch,
    )
    validation = (x_val, y_val)
    if config.loss == "weighted_cce":
        validation = (x_val, y_val, weight_maps(y_val)[..., 0])

    monitor, mode = monitored_metric(config)
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

    if state is None:
        input_stats = (float(x_train.mean()), max(float(x_train.std()), 1e-6))
        model = build_and_compile(config, x_train.shape[-1], input_stats, steps_per_epoch=len(train_batches))
        run.path.mkdir(parents=True, exist_ok=True)
        config.save(run.config_path)
        initial_epoch = 0
    else:
        model = run.load_resume_model(state)
        if config.lr_schedule == "constant":  # a resume may lower the learning rate, e.g. after NaN
            model.optimizer.learning_rate.assign(config.learning_rate)
        config.save(run.config_path)
        initial_epoch = state["epoch"]
        logger.info("resuming %s after epoch %d", run.path, initial_epoch)

    finished = state is not None and (state.get("stopped_early") or initial_epoch >= config.epochs)
    if not finished:
        train_batches.set_epoch(initial_epoch)
        all_callbacks = [keras.callbacks.TerminateOnNaN(), *resumable.values(), *callbacks]
        if config.tensorboard:
            all_callbacks.append(keras.callbacks.TensorBoard(str(run.path / "tensorboard")))
        all_callbacks.append(checkpoint)  # last: records the counters the others just updated
        model.fit(
            train_batches,
            validation_data=validation,
            epochs=config.epochs,
            initial_epoch=initial_epoch,
            callbacks=all_callbacks,
            verbose=_verbosity(verbose),
            shuffle=False,  # SegmentationBatches shuffles reproducibly itself
        )

    if checkpoint.non_finite_epoch is not None:
        kept = checkpoint.history[-1]["epoch"] if checkpoint.history else None
        raise bad_input(
            "loss",
            f"NaN or Inf in epoch {checkpoint.non_finite_epoch}, so training stopped",
            "finite values",
            (f"The last good checkpoint (epoch {kept}) is kept in '{run.path}'; resume it with a lower "
             "learning rate (--resume --learning-rate ...)." if kept else
             "Nothing was saved; lower the learning rate or check the data for NaN values."),
        )
    if run.best_model_path.exists():
        model = keras.models.load_model(run.best_model_path)
    keys = sorted({key for row in checkpoint.history for key in row})
    history = {key: [row.get(key) for row in checkpoint.history] for key in keys}
    if config.num_classes == 1 and "val_tgs_score" in history:
        warn_if_no_better_than_empty(history["val_tgs_score"][-1], y_val)
    return model, history
