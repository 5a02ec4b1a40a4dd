"""The layer lesson's shape: its sections in order, their titles, its beat keys."""

from __future__ import annotations

LESSON = "layer"

SECTION_NAMES: tuple[str, ...] = (
    "title",
    "input",
    "filters",
    "maps",
    "bias",
    "relu",
    "pooling",
    "channels",
    "summary",
)
"""Every section the lesson can have, in order (a problem's script may skip some)."""

TITLES: dict[str, str] = {
    "title": "",
    "input": "The input tensor",
    "filters": "A bank of filters",
    "maps": "Feature maps",
    "bias": "Bias",
    "relu": "ReLU",
    "pooling": "Pooling",
    "channels": "A filter over several channels",
    "summary": "In short",
}

BEAT_KEYS: frozenset[str] = frozenset(
    {
        "title.question",
        "input.shape",
        "filters.bank",
        "filters.parameters",
        "maps.size",
        "maps.strongest",
        "maps.cost",
        "bias.element",
        "relu.zeroes",
        "pooling.rule",
        "pooling.ties",
        "pooling.size",
        "pooling.edge",
        "pooling.average",
        "channels.filter",
        "channels.parameters",
        "channels.partials",
        "channels.element",
        "channels.result",
        "summary.shapes",
    }
)
"""The registry of beat keys, ``section.action``."""
