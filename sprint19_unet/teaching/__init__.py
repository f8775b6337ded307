"""Teaching extras: the road to segmentation, plots, the live view, the demo, exercises and grading.

* :mod:`~sprint19_unet.teaching.detection` — sliding windows and region proposals (R-CNN).
* :mod:`~sprint19_unet.teaching.plots`, :mod:`~sprint19_unet.teaching.live` — figures, and
  predictions redrawn while a model trains.
* :mod:`~sprint19_unet.teaching.demo` — ``python -m sprint19_unet demo``.
* :mod:`~sprint19_unet.teaching.exercises` — the exercise notebooks' self-checks
  (``s19.exercises.check_rle(encode_rle)``: one ✅/❌ line with a hint).
* :mod:`~sprint19_unet.teaching.colab` — the notebooks' first cell: ``s19.colab.report()`` checks
  Keras/TensorFlow versions and says whether a GPU is visible.
* :mod:`~sprint19_unet.teaching.grading` — ``python -m sprint19_unet grade``: run the students'
  notebooks and collect their self-checks into one CSV.
"""
