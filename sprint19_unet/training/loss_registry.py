"""The losses by short name: one registry, filled where each loss class is defined.

A loss class in :mod:`sprint19_unet.training.losses` registers itself with :func:`register_loss`,
saying its short name, which outputs it trains (a one-channel sigmoid, a C-channel softmax, or
both) and whether training feeds it the paper's Eq. 2 weight maps. Everything that lists losses —
``TrainConfig``'s choices and checks, ``get_loss``, the training loop, the command line's help,
README's table — reads :data:`LOSSES`. The options a loss takes are the keyword
arguments of its class (``TrainConfig(loss_options=…)``, ``--loss-option NAME=VALUE``).

Example:
    >>> import sprint19_unet.training.losses  # the classes register themselves
    >>> LOSSES["focal"].options()
    {'gamma': 2.0, 'alpha': 0.25, 'from_logits': False}
"""

from __future__ import annotations

import dataclasses
import inspect

from sprint19_unet.errors import bad_input

BINARY, MULTI_CLASS = "binary", "multi-class"  # a one-channel sigmoid output; a softmax over num_classes ≥ 2
_KERAS_ARGUMENTS = ("reduction", "name", "dtype")  # every keras.losses.Loss takes them: not options of ours


@dataclasses.dataclass(frozen=True)
class LossSpec:
    """One registered loss.

    Args:
        name: the short name (``TrainConfig.loss``, ``--loss``).
        cls: the ``keras.losses.Loss`` class.
        outputs: the model outputs it trains: :data:`BINARY`, :data:`MULTI_CLASS` or both.
        weight_map: training passes the Eq. 2 weight maps as ``sample_weight``.
        summary: one line for tables and ``--help``.
    """

    name: str
    cls: type
    outputs: tuple
    weight_map: bool
    summary: str

    def options(self) -> dict:
        """The options (keyword arguments of the class, Keras's own left out) with their defaults."""
        parameters = inspect.signature(self.cls.__init__).parameters.values()
        return {p.name: p.default for p in parameters if p.name != "self" and p.name not in _KERAS_ARGUMENTS}

    def trains(self, num_classes: int) -> bool:
        """Whether this loss trains a model with ``num_classes`` outputs (1 = sigmoid)."""
        return (BINARY if num_classes == 1 else MULTI_CLASS) in self.outputs


LOSSES: dict[str, LossSpec] = {}


def register_loss(name: str, *, outputs: tuple, summary: str, weight_map: bool = False):
    """Class decorator: register a ``keras.losses.Loss`` under a short name.

    Args:
        name: the short name.
        outputs: a tuple of :data:`BINARY` and/or :data:`MULTI_CLASS`.
        summary: one line for tables and help.
        weight_map: training passes Eq. 2 weight maps as ``sample_weight``.

    Returns:
        The decorator (it returns the class unchanged).

    Example:
        >>> LOSSES["weighted_cce"].weight_map, LOSSES["sparse_cce"].trains(1)
        (True, False)
    """
    if name in LOSSES or not set(outputs) <= {BINARY, MULTI_CLASS} or not outputs:
        raise ValueError(f"loss {name!r}: registered twice, or outputs {outputs!r} not of {BINARY!r}/{MULTI_CLASS!r}")

    def decorate(cls):
        LOSSES[name] = LossSpec(name, cls, tuple(outputs), weight_map, summary)
        return cls

    return decorate


def loss_names(num_classes: int | None = None) -> tuple:
    """The short names, in registration order; only those that train ``num_classes`` outputs when given.

    Example:
        >>> loss_names(3)
        ('sparse_cce', 'weighted_cce')
    """
    return tuple(name for name, spec in LOSSES.items() if num_classes is None or spec.trains(num_classes))


def get_loss(name: str, **options):
    """A loss instance by short name.

    Args:
        name: a key of :data:`LOSSES` (``"bce"``, ``"dice"``, ``"bce_dice"``, ``"focal"``, …).
        **options: keyword arguments of the loss class (e.g. ``gamma=2.0`` for ``"focal"``,
            ``alpha=0.7`` for ``"tversky"``, ``from_logits=True``).

    Returns:
        A ``keras.losses.Loss``.

    Raises:
        Sprint19Error: for an unknown name, an option the loss does not take, or a bad option value.

    Example:
        >>> get_loss("focal", gamma=1.0).get_config()["gamma"]
        1.0
    """
    key = name.strip().lower() if isinstance(name, str) else None
    if key not in LOSSES:
        raise bad_input("name", repr(name), "one of " + ", ".join(map(repr, LOSSES)), 'Use e.g. get_loss("bce_dice").')
    known = LOSSES[key].options()
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise bad_input(f"options of loss {key!r}", ", ".join(unknown),
                        "some of " + (", ".join(known) if known else "(none: this loss takes no options)"),
                        f"Drop {', '.join(unknown)}: the options of {key!r} are the keyword arguments of "
                        f"{LOSSES[key].cls.__name__} (help(sprint19_unet.{LOSSES[key].cls.__name__})).")
    try:
        return LOSSES[key].cls(**options)
    except (TypeError, ValueError) as error:  # e.g. gamma="two": float() refuses it
        raise bad_input(f"options of loss {key!r}", repr(options), "numbers (or true/false) the loss accepts",
                        f"Fix the value ({error}).") from None
