"""sprint19_unet: a U-Net for teaching, read against the paper (arXiv 1505.04597).

The package follows the data through the pipeline, one subpackage per stage::

    unet/        the model in the paper's words: parts, builder, encoders, sizes, FLOPs
    data/        files and generators → arrays and tiles: loaders, images, RLE, augmentation
    training/    config, losses, Keras metrics, batches, checkpoints, the fit loop
    estimation/  prediction and overlap-tile, scores, the Kaggle submission
    teaching/    detection background, plots, the live view, the one-minute demo,
                 the exercises' self-checks and the grader
    cli.py       python -m sprint19_unet …      errors.py  the one error type

Imports point one way (unet ← data ← training ← estimation ← teaching ← cli). The
public names are re-exported here, so ``import sprint19_unet as s19`` is enough::

    model = s19.paper_unet()          # 572×572×1 → 388×388×2, 31,030,658 parameters
    data = s19.load_tgs("data/tgs")   # Kaggle TGS Salt layout
    score = s19.kaggle_tgs_score(true_masks, predicted_masks)

Importing the package registers the custom losses and metrics with Keras, so a saved
``model.keras`` loads with plain ``keras.models.load_model(path)``. Run as the
command-line program, the package first moves TensorFlow's C++ log lines off the
terminal (:mod:`sprint19_unet.native_logs`).
"""

from __future__ import annotations

import time as _time

_STARTED = _time.perf_counter()  # before Keras and TensorFlow load: the demo's budget counts start-up from here

from sprint19_unet import native_logs as _native_logs  # noqa: E402

if _native_logs.started_from_command_line():  # before Keras imports TensorFlow and it starts logging
    _native_logs.quiet_native_logs()

# ruff: noqa: E402, I001  (the log redirect above must come before Keras is imported)
from sprint19_unet.errors import Sprint19Error, bad_input
from sprint19_unet.unet.parts import (
    bottleneck, contracting_block, conv_block, copy_and_crop, expanding_block, output_head, up_conv,
)
from sprint19_unet.unet.model import build_unet, count_conv_layers, paper_unet
from sprint19_unet.unet.encoders import (
    ENCODERS, ENCODER_NAMES, build_encoder_unet, encoder_layers, encoder_of, fine_tune_learning_rate,
    unfreeze_encoder,
)
from sprint19_unet.unet.sizes import (
    input_size_for_output, is_valid_input_size, nearest_valid_input_sizes, unet_output_size,
)
from sprint19_unet.unet.transposed import (
    conv2d_transpose, conv2d_transpose_by_zero_insertion, conv2d_transpose_output_size,
)
from sprint19_unet.data.formats import (
    SegmentationData, load_folder_pairs, load_tgs, load_tiff_stacks, write_tgs_layout,
)
from sprint19_unet.data.datasets import (
    DataLayout, describe_dataset, find_layout, format_description, load_dataset,
)
from sprint19_unet.data.images import read_image, read_mask, read_tiff_stack, write_png, write_tiff_stack
from sprint19_unet.data.rle import decode_rle, encode_rle
from sprint19_unet.data.download import download_tgs
from sprint19_unet.data.synthetic_salt import make_salt_dataset, write_salt_sample
from sprint19_unet.data.synthetic_scenes import CLASS_NAMES, make_shapes_dataset, shapes_class_names
from sprint19_unet.data.prepare import (
    coverage_classes, crop_to_size, mirror_pad, mirror_pad_for_valid, pad_to_size, resize_images,
    resize_masks, stratified_split,
)
from sprint19_unet.data.input_spec import InputSpec
from sprint19_unet.data.augment import (
    AugmentConfig, augment_batch, augment_pair, elastic_deform, elastic_displacement,
)
from sprint19_unet.data.weight_map import (
    class_balance_weights, unet_weight_map, weight_maps,
)
from sprint19_unet.training.config import TrainConfig
from sprint19_unet.training.losses import (
    LOSSES, BCEDiceLoss, BinaryCrossentropy, BinaryFocalLoss, DiceLoss, LovaszHinge, SparseCategoricalCrossentropy,
    TverskyLoss, WeightedCrossentropy, bce_dice_loss, binary_crossentropy, binary_focal_loss, dice_loss, get_loss,
    lovasz_hinge, sparse_categorical_crossentropy, tversky_loss, weighted_crossentropy,
)
from sprint19_unet.training.metrics import (
    Dice, TgsScore, ThresholdedIoU, dice_coefficient, iou_score, mean_dice, mean_iou, per_class_dice,
    per_class_iou, pixel_accuracy,
)
from sprint19_unet.training.batches import SegmentationBatches
from sprint19_unet.training.fit import build_and_compile, split_data, split_indices, train
from sprint19_unet.training.time_budget import (
    StopAtDeadline, TrainingPlan, measure_training_speed, plan_training,
)
from sprint19_unet.training.sanity import (
    AllBlackWarning, check_predictions, check_training_masks, overfit_one_batch, predict_nothing_score,
)
from sprint19_unet.estimation.predict import (
    DEFAULT_THRESHOLDS, THRESHOLD_METRICS, predict_masks, predict_overlap_tile, predict_probabilities,
    probabilities_to_masks, tune_threshold,
)
from sprint19_unet.estimation.tta import TTA_MODES
from sprint19_unet.estimation.scoring import (
    isbi_challenge_errors, isbi_rand_error, isbi_report, kaggle_tgs_image_scores, kaggle_tgs_score,
    misclassified_fraction, segmentation_report,
)
from sprint19_unet.estimation.submission import check_submission, read_submission, write_submission
from sprint19_unet.estimation.files import evaluate_model, load_model, predict_to_files, trained_scale
from sprint19_unet.estimation.whole_validation import WholeImageValidation  # registers monitor="val_rand_f"
from sprint19_unet.teaching.detection import (
    boxes_iou, colour_class_map, over_segment, region_proposals, sliding_window_count,
    sliding_window_table, sliding_windows,
)
from sprint19_unet.teaching.plots import overlay, plot_ablation, plot_history, plot_predictions
from sprint19_unet.teaching.learning_view import LearningFigure, plot_learning
from sprint19_unet.teaching.live import FigureFiles, FigureSnapshots, FigureWindow, LivePredictions, display_available
from sprint19_unet.teaching.receptive_field import (
    check_receptive_field, measure_receptive_field, receptive_field, textbook_receptive_field,
)
from sprint19_unet.teaching.levels import (
    level_outputs, plot_copy_and_crop_effect, plot_levels, unet_levels, without_copy_and_crop,
)
from sprint19_unet.teaching.threshold_view import plot_thresholds, threshold_slider
from sprint19_unet.teaching import exercises  # the notebooks' self-checks: s19.exercises.check_rle(…)
from sprint19_unet.teaching import colab  # the notebooks' first cell: s19.colab.report() (versions, GPU)
from sprint19_unet import versions  # the versions CI tests; one warning line when TensorFlow or Keras is older

versions.warn_if_older()

__version__ = "0.1.0"

__all__ = [
    "Sprint19Error", "bad_input", "bottleneck", "contracting_block", "conv_block", "copy_and_crop",
    "expanding_block", "output_head", "up_conv", "build_unet", "count_conv_layers", "paper_unet",
    "ENCODERS", "ENCODER_NAMES", "build_encoder_unet", "encoder_layers", "encoder_of",
    "fine_tune_learning_rate", "unfreeze_encoder", "input_size_for_output", "is_valid_input_size",
    "nearest_valid_input_sizes", "unet_output_size", "conv2d_transpose",
    "conv2d_transpose_by_zero_insertion", "conv2d_transpose_output_size", "SegmentationData",
    "load_folder_pairs", "load_tgs", "load_tiff_stacks", "write_tgs_layout", "DataLayout",
    "describe_dataset", "find_layout", "format_description", "load_dataset", "read_image", "read_mask",
    "read_tiff_stack", "write_png", "write_tiff_stack", "decode_rle", "encode_rle", "download_tgs", "CLASS_NAMES",
    "make_salt_dataset", "make_shapes_dataset", "shapes_class_names", "write_salt_sample",
    "coverage_classes", "crop_to_size", "mirror_pad", "mirror_pad_for_valid", "pad_to_size",
    "resize_images", "resize_masks", "stratified_split", "InputSpec", "AugmentConfig", "augment_batch",
    "augment_pair", "elastic_deform", "elastic_displacement", "class_balance_weights",
    "unet_weight_map", "weight_maps", "TrainConfig", "BCEDiceLoss",
    "BinaryCrossentropy", "BinaryFocalLoss", "DiceLoss", "LovaszHinge", "SparseCategoricalCrossentropy",
    "WeightedCrossentropy", "bce_dice_loss", "binary_crossentropy", "binary_focal_loss", "dice_loss",
    "get_loss", "lovasz_hinge", "sparse_categorical_crossentropy", "weighted_crossentropy", "Dice",
    "LOSSES", "TverskyLoss", "tversky_loss",
    "TgsScore", "ThresholdedIoU", "dice_coefficient", "iou_score", "mean_dice", "mean_iou",
    "per_class_dice", "per_class_iou", "pixel_accuracy", "SegmentationBatches", "build_and_compile",
    "split_data", "split_indices", "train", "StopAtDeadline", "TrainingPlan", "measure_training_speed",
    "plan_training", "AllBlackWarning", "check_predictions", "check_training_masks", "overfit_one_batch",
    "predict_nothing_score", "DEFAULT_THRESHOLDS", "THRESHOLD_METRICS", "predict_masks",
    "predict_overlap_tile", "predict_probabilities", "probabilities_to_masks", "tune_threshold", "TTA_MODES",
    "isbi_challenge_errors", "isbi_rand_error", "isbi_report", "kaggle_tgs_image_scores", "kaggle_tgs_score",
    "misclassified_fraction", "segmentation_report", "check_submission", "read_submission", "write_submission", "evaluate_model",
    "load_model", "predict_to_files", "trained_scale", "WholeImageValidation", "boxes_iou", "colour_class_map", "over_segment",
    "region_proposals", "sliding_window_count", "sliding_window_table", "sliding_windows", "overlay",
    "plot_ablation", "plot_history", "plot_predictions", "LearningFigure", "plot_learning", "FigureFiles",
    "FigureSnapshots", "FigureWindow", "LivePredictions", "display_available", "check_receptive_field",
    "measure_receptive_field", "receptive_field", "textbook_receptive_field", "level_outputs",
    "plot_copy_and_crop_effect", "plot_levels", "unet_levels", "without_copy_and_crop", "plot_thresholds",
    "threshold_slider", "exercises", "colab", "versions",
]
