"""Rich display in notebooks, without the core knowing the printers.

Core types (a trace, a derivation, a script) answer Jupyter's ``_repr_mimebundle_`` by
looking up the printer registered for their type. The package's public face
(``explainer/__init__.py``) registers the printers of :mod:`explainer.outputs.notebook` by
name, so the lower layers never import the notebook layer, and ``import explainer`` does
not load the printers until something is first displayed.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

Bundle = dict[str, str]
Printer = Callable[[Any, Any, Any], Bundle]

_PRINTERS: dict[str, str] = {}


def register(cls: str, printer: str) -> None:
    """Show instances of the class named ``cls`` ("module.QualName") and its subclasses
    with the function named ``printer`` ("module:function"), called as
    ``printer(obj, include, exclude)``. Both are names, resolved on first display."""
    _PRINTERS[cls] = printer


def mimebundle(obj: Any, include: Any = None, exclude: Any = None) -> Bundle:
    """The registered printer's bundle for ``obj``; plain text when none is registered.

    Used as a method: ``_repr_mimebundle_ = display.mimebundle``.
    """
    for cls in type(obj).__mro__:
        name = _PRINTERS.get(f"{cls.__module__}.{cls.__qualname__}")
        if name is not None:
            module, _, function = name.partition(":")
            printer: Printer = getattr(importlib.import_module(module), function)
            return printer(obj, include, exclude)
    return {"text/plain": repr(obj)}
