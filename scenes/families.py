"""Walking mobject families without nested generators, and no updater walk when no
mobject has an updater.

manim lists a mobject's family (itself and its submobjects, recursively) many times per
frame: to find the shapes to draw, to pair a transform's start and end, to update. Its
walk is a generator that delegates to one generator per level with ``yield from``, so
every member passes through every level above it; grids of a hundred cells made these
walks about 7 CPU-s of the lecture's 82 on the main thread at 1080p. :func:`family`
gives the same list, in the same order, with the same handling of cycles and of a
member reached twice (``tests/test_families.py``), from one loop.

Each frame manim also calls ``update`` on every mobject on stage, which walks every
family again to run updaters: about 5 CPU-s of the lecture, none of whose mobjects has
an updater. manim adds updaters only through ``Mobject.add_updater``; once
:func:`install` has run, ``update`` does nothing (as it would do) until the first
updater is added in the process, and walks as before from then on.
"""

from __future__ import annotations

_installed = [False]
_updater_added = [False]
by_manim: dict = {}
"""manim's own ``get_family`` and ``update``, once :func:`install` has replaced them."""


def family(mobject) -> list:
    """``mobject`` and its submobjects, depth first, each where it last occurs; a
    submobject that is its own ancestor is not entered again (as ``Mobject.get_family``)."""
    if not mobject.submobjects:
        return [mobject]
    members = [mobject]
    on_path = {mobject}  # the ancestors of where the walk is: entering one again is a cycle
    stack = [(mobject, iter(mobject.submobjects))]
    while stack:
        parent, children = stack[-1]
        for child in children:
            if child in on_path:
                continue
            members.append(child)
            if child.submobjects:
                on_path.add(child)
                stack.append((child, iter(child.submobjects)))
                break
        else:
            stack.pop()
            on_path.discard(parent)
    # A member reached along two paths is kept where it occurs last.
    unique = list(dict.fromkeys(reversed(members)))
    if len(unique) == len(members):
        return members
    unique.reverse()
    return unique


def updater_added() -> bool:
    """Whether any mobject was given an updater since :func:`install`."""
    return _updater_added[0]


def install() -> None:
    if _installed[0]:
        return
    from manim.mobject.mobject import Mobject

    add_updater = Mobject.add_updater
    update = Mobject.update
    by_manim.update(
        get_family=Mobject.get_family,
        family_members_with_points=Mobject.family_members_with_points,
        update=update,
    )

    def get_family(self, recurse: bool = True) -> list:
        return family(self)

    def family_members_with_points(self) -> list:
        # manim asks each member get_num_points(), which no mobject class redefines.
        return [member for member in family(self) if len(member.points) > 0]

    def noting_add_updater(self, *args, **kwargs):
        _updater_added[0] = True
        return add_updater(self, *args, **kwargs)

    def update_if_any(self, dt: float = 0, recursive: bool = True):
        if not _updater_added[0]:
            return self  # no mobject has an updater: manim's walk would run none
        return update(self, dt, recursive)

    Mobject.get_family = get_family
    Mobject.family_members_with_points = family_members_with_points
    Mobject.add_updater = noting_add_updater
    Mobject.update = update_if_any
    _installed[0] = True
