"""Teaching extras: the road to segmentation, plots, the live view, the demo, exercises and grading.

* :mod:`~sprint19_unet.teaching.detection` — sliding windows and region proposals (R-CNN).
* :mod:`~sprint19_unet.teaching.plots`, :mod:`~sprint19_unet.teaching.live` — figures, and
  predictions redrawn while a model trains.
* :mod:`~sprint19_unet.teaching.demo` — ``python -m sprint19_unet demo``.
* :mod:`~sprint19_unet.teaching.exercises` — the exercise registry: each exercise's self-check
  (``s19.exercises.check_rle(rle_encode)``: one ✅/❌ line with a hint), grade-time cases and points.
* :mod:`~sprint19_unet.teaching.colab` — the notebooks' first cell: ``s19.colab.report()`` checks
  Keras/TensorFlow versions and says whether a GPU is visible.
* :mod:`~sprint19_unet.teaching.grading` — ``python -m sprint19_unet grade``: run each student's
  notebook in a room of its own, ask its code for answers on cases it never saw, judge them in
  the grader's process, one CSV.
* :mod:`~sprint19_unet.teaching.plain_data` — the only form in which answers leave a student's kernel.
"""
