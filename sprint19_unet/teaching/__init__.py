"""Teaching extras: the road to segmentation, plots, the live view and the one-minute demo.

* :mod:`~sprint19_unet.teaching.detection` — sliding windows and region proposals (R-CNN).
* :mod:`~sprint19_unet.teaching.plots`, :mod:`~sprint19_unet.teaching.live` — figures, and
  predictions redrawn while a model trains.
* :mod:`~sprint19_unet.teaching.demo` — ``python -m sprint19_unet demo``.
"""
