"""Training: settings, losses, metrics, batches and the fit loop that writes a resumable run.

* :mod:`~sprint19_unet.training.config` — ``TrainConfig``, every setting with its default.
* :mod:`~sprint19_unet.training.losses`, :mod:`~sprint19_unet.training.metrics` — what is
  minimised and what is watched (``keras.ops`` only: TensorFlow, JAX and PyTorch).
* :mod:`~sprint19_unet.training.batches` — tiles and augmentation, batch by batch.
* :mod:`~sprint19_unet.training.fit` — ``train``: one config in, a run directory out.
* :mod:`~sprint19_unet.training.checkpoints` — the run directory, written so nothing is lost.
* :mod:`~sprint19_unet.training.distribute`, :mod:`~sprint19_unet.training.time_budget` — several
  devices; a run that must end by a deadline.
* :mod:`~sprint19_unet.training.sanity` — warnings for the all-black failure.
"""
