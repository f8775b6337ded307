"""sprint19_unet: a U-Net for teaching, read against the paper (arXiv 1505.04597).

The public names are importable from here::

    import sprint19_unet as s19
    model = s19.paper_unet()          # 572×572×1 → 388×388×2, 31,030,658 parameters
    data = s19.load_tgs("data/tgs")   # Kaggle TGS Salt layout
    score = s19.kaggle_tgs_score(true_masks, predicted_masks)

Most names are loaded on first use (PEP 562). The losses and metrics are imported
at once: that registers them with Keras, so a saved ``model.keras`` loads with plain
``keras.models.load_model(path)`` after ``import sprint19_unet``. Run as the
command-line program, the package first moves TensorFlow's C++ log lines off the
terminal (:mod:`sprint19_unet.native_logs`).
"""

from __future__ import annotations

import importlib
import time as _time

_STARTED = _time.perf_counter()  # before Keras and TensorFlow load: the demo's budget counts start-up from here

from sprint19_unet import native_logs as _native_logs  # noqa: E402

if _native_logs.started_from_command_line():  # before Keras imports TensorFlow and it starts logging
    _native_logs.quiet_native_logs()

from sprint19_unet import losses as _losses  # noqa: F401  (registers the custom losses with Keras)
from sprint19_unet import metrics as _metrics  # noqa: F401  (registers the custom metrics with Keras)
from sprint19_unet.errors import Sprint19Error, bad_input

__version__ = "0.1.0"

# public name → module that defines it
_EXPORTS = {
    "model": [
        "build_unet", "paper_unet", "contracting_block", "bottleneck", "up_conv", "copy_and_crop",
        "expanding_block", "output_head", "conv_block", "count_conv_layers",
    ],
    "encoders": [
        "build_encoder_unet", "unfreeze_encoder", "fine_tune_learning_rate", "encoder_layers", "encoder_of",
        "ENCODERS", "ENCODER_NAMES",
    ],
    "sizes": ["unet_output_size", "is_valid_input_size", "nearest_valid_input_sizes", "input_size_for_output"],
    "transposed": ["conv2d_transpose", "conv2d_transpose_by_zero_insertion", "conv2d_transpose_output_size"],
    "rle": ["encode_rle", "decode_rle"],
    "images": ["read_image", "read_mask", "write_png", "read_tiff_stack", "write_tiff_stack"],
    "data": ["SegmentationData", "load_tgs", "write_tgs_layout", "load_folder_pairs", "load_tiff_stacks"],
    "datasets": ["load_dataset", "find_layout", "DataLayout", "describe_dataset", "format_description"],
    "input_spec": ["InputSpec"],
    "synthetic": ["make_salt_dataset", "make_shapes_dataset", "write_salt_sample", "shapes_class_names", "CLASS_NAMES"],
    "prepare": [
        "pad_to_size", "crop_to_size", "mirror_pad", "resize_images", "resize_masks", "mirror_pad_for_valid",
        "coverage_classes", "stratified_split",
    ],
    "augment": ["AugmentConfig", "augment_pair", "augment_batch", "elastic_deform", "elastic_displacement"],
    "batches": ["SegmentationBatches"],
    "losses": [
        "get_loss", "dice_loss", "bce_dice_loss", "binary_focal_loss", "lovasz_hinge", "sparse_categorical_crossentropy",
        "weighted_crossentropy", "binary_crossentropy", "BinaryCrossentropy", "DiceLoss", "BCEDiceLoss", "BinaryFocalLoss", "LovaszHinge",
        "SparseCategoricalCrossentropy", "WeightedCrossentropy",
    ],
    "metrics": [
        "iou_score", "dice_coefficient", "pixel_accuracy", "per_class_iou", "per_class_dice", "mean_iou", "mean_dice",
        "ThresholdedIoU", "Dice", "TgsScore", "kaggle_tgs_score", "kaggle_tgs_image_scores",
        "isbi_pixel_error", "isbi_rand_error",
    ],
    "weight_map": ["unet_weight_map", "weight_maps", "class_balance_weights", "stack_label_and_weight"],
    "config": ["TrainConfig"],
    "training": ["train", "split_indices", "split_data", "build_and_compile"],
    "predict": [
        "predict_probabilities", "predict_masks", "predict_overlap_tile", "probabilities_to_masks", "tune_threshold",
        "DEFAULT_THRESHOLDS", "THRESHOLD_METRICS",
    ],
    "submission": ["write_submission", "read_submission", "check_submission"],
    "evaluate": ["segmentation_report", "isbi_report"],
    "estimate": ["load_model", "trained_scale", "predict_to_files", "evaluate_model"],
    "sanity": ["AllBlackWarning", "check_training_masks", "check_predictions", "predict_nothing_score", "overfit_one_batch"],
    "plots": ["plot_predictions", "plot_history", "overlay"],
    "live": ["LivePredictions", "FigureWindow", "FigureFiles", "display_available"],
    "time_budget": ["plan_training", "measure_training_speed", "StopAtDeadline", "TrainingPlan"],
    "detection": [
        "sliding_window_count", "sliding_window_table", "sliding_windows", "over_segment", "region_proposals",
        "boxes_iou", "colour_class_map",
    ],
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = ["Sprint19Error", "bad_input", *_MODULE_OF]


def __getattr__(name: str):
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'sprint19_unet' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"sprint19_unet.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
