"""nbval set-up for the notebooks (see ../shared/docs/NOTEBOOKS.md).

* Fast mode: the kernel inherits this process's environment, and each notebook's
  ``parameters`` cell reads ``SPRINT19_FAST``; graders get fast mode by default.
* stderr is not compared: TensorFlow's C++ log lines land in saved outputs but
  not in a pytest run, and they say nothing about the notebook's results.
"""

import os

# notebooks/exercises/ holds the students' notebooks, made by scripts/make_exercises and committed
# unexecuted: their solution cells raise NotImplementedError, so they are not nbval tests
# (tests/test_make_exercises.py checks they are up to date with the solution notebooks).
collect_ignore = ["exercises"]

os.environ.setdefault("SPRINT19_FAST", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_collectstart(collector):
    if hasattr(collector, "skip_compare"):
        collector.skip_compare = tuple(collector.skip_compare) + ("stderr",)
