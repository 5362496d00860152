"""Format detection: which loader reads a file, decided from its content, never its name."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

from loaders.base import Peek

#: Loader modules in the order they are asked; the generic template comes last.
LOADER_MODULES = (
    "loaders.ae",
    "loaders.kh03",
    "loaders.kh03_compiled",
    "loaders.home_first",
    "loaders.dtoc",
    "loaders.discharge_sitrep",
    "loaders.discharge_annual",
    "loaders.ascof",
    "loaders.ods_trusts",
    "loaders.ons_geography",
    "loaders.ons_mye",
    "loaders.population",
    "loaders.generic",
)


def loader_modules() -> list[ModuleType]:
    """The loader modules that exist in this installation, in detection order."""
    modules = []
    for name in LOADER_MODULES:
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a loader that exists but fails to import is a real error
                raise
    return modules


def detect(path: Path) -> ModuleType | None:
    """The loader module that recognises ``path``, or None."""
    peek = Peek(Path(path))
    for module in loader_modules():
        if module.sniff(peek):
            return module
    return None


def module_named(name: str) -> ModuleType:
    """The loader module whose ``NAME`` is ``name``."""
    return next(m for m in loader_modules() if m.NAME == name)
