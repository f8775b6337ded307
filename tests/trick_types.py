"""Values that lie about themselves, as a cheating student's function returns them (shared by the tests).

The grading red team (tests/teaching/test_grading_red_team.py) puts this file's source into a notebook; the
exercise and plain-data tests import the classes.
"""

import numpy as np


class AlwaysEqual:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = None


class FloatEqual(float):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = float.__hash__


class Splitter(str):
    def split(self, *args, **kwargs):
        return AlwaysEqual()

    def __eq__(self, other):
        return True

    __hash__ = str.__hash__


class Sly(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), bool)

    def __array_function__(self, func, types, args, kwargs):
        return True
