"""Estimation: masks for new images, their scores, and the Kaggle submission.

* :mod:`~sprint19_unet.estimation.predict` — probabilities and masks at any size (overlap-tile,
  TTA), and the threshold.
* :mod:`~sprint19_unet.estimation.scoring` — the Kaggle TGS metric, the ISBI errors, reports.
* :mod:`~sprint19_unet.estimation.submission` — write, read and check a submission CSV.
* :mod:`~sprint19_unet.estimation.files` — the same from files: the CLI's ``predict`` and
  ``evaluate``, and loading a saved model safely.
* :mod:`~sprint19_unet.estimation.whole_validation` — the validation images predicted whole and
  scored as the ISBI challenge scores them after every epoch (``TrainConfig(monitor="val_rand_f")``).
"""
