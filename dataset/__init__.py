"""Conflict event dataset builder: raw reports -> a versioned, ACLED-compatible release.

For pandas users: `dataset.load(version="latest", table="events")`.
"""

import importlib
import sys
import types

__all__ = ["csv_options", "load"]


class _Package(types.ModuleType):
    """This package, whose `load` and `csv_options` come from the submodule dataset.load when
    first used: `import dataset`, and so `python -m dataset`, imports no pandas before a command
    needs it (`build` lists raw/ meanwhile, raw_tree.early).

    The import system binds each submodule it loads as an attribute of its package; the
    submodule dataset.load must not take the name of the function `load` that way."""

    def __getattr__(self, name: str):
        if name not in __all__:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        module = importlib.import_module(f"{__name__}.load")
        for public in __all__:
            super().__setattr__(public, getattr(module, public))
        return getattr(module, name)

    def __setattr__(self, name: str, value) -> None:
        if name in __all__ and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
