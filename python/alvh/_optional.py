"""Optional dependencies, loaded on use: one way to import them and one error when one is
missing — :class:`alvh.exceptions.MissingDependencyError`, naming what needed it and the extra to
install (README.md, Install)."""

from __future__ import annotations

import importlib
from types import ModuleType

from alvh.exceptions import MissingDependencyError

__all__ = ["require"]


def require(module: str, *, extra: str, needed_by: str) -> ModuleType:
    """The module ``module`` (e.g. ``"pyarrow.parquet"``), or a :class:`MissingDependencyError`
    saying that ``needed_by`` (what the caller was doing, e.g. ``"daily.parquet: reading or writing
    Parquet"``) needs it: ``... needs pyarrow (pip install 'alvh[parquet]')``."""
    try:
        return importlib.import_module(module)
    except ImportError:
        package = module.partition(".")[0]
        raise MissingDependencyError(f"{needed_by} needs {package} (pip install 'alvh[{extra}]')") from None
