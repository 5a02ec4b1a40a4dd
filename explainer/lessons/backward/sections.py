"""The backward lesson's shape: its sections in order, their titles, its beat keys."""

from __future__ import annotations

LESSON = "backward"

SECTION_NAMES: tuple[str, ...] = (
    "title",
    "setup",
    "error",
    "derivative",
    "gradient",
    "step",
    "image",
    "summary",
)

TITLES: dict[str, str] = {
    "title": "",
    "setup": "An image, a filter, a target",
    "error": "The error map",
    "derivative": "The derivative of the loss, term by term",
    "gradient": "The whole weight gradient",
    "step": "One step of gradient descent",
    "image": "The gradient with respect to the image",
    "summary": "In short",
}

BEAT_KEYS: frozenset[str] = frozenset(
    {
        "title.question",
        "setup.problem",
        "setup.loss",
        "error.pixel",
        "error.map",
        "derivative.terms",
        "derivative.zeros",
        "gradient.correlation",
        "step.rule",
        "step.result",
        "image.stamp",
        "image.sum",
        "image.transposed",
        "summary.learned",
    }
)
