"""Reading and validating configuration files: one TOML, one CSV and one Parquet reader, and one
translation of pydantic's validation errors into a :class:`~alvh.exceptions.ConfigError` that names the file, the field,
the value and what is allowed. Books, markets, rules, events and backtest settings all load
through here."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args

import pandas as pd
from pydantic import BaseModel, ValidationError

from alvh._optional import require
from alvh.exceptions import ConfigError

__all__ = ["config_error", "read_csv", "read_toml"]


def _error_location(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("svi", "quadratic"):  # pydantic's discriminated-union tag
            continue
        else:
            out += ("." if out else "") + str(part)
    return out


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models_in(arg)]


def _fields_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The field names of the model that holds the entry at ``loc`` (empty if unknown)."""
    models = [model]
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        tagged = [m for m in models if "model" in m.model_fields and m.model_fields["model"].default == part]
        if tagged:  # pydantic's discriminated-union tag
            models = tagged
            continue
        found = [m.model_fields[part].annotation for m in models if part in m.model_fields]
        models = _models_in(found[0]) if found else []
    return list(models[0].model_fields) if len(models) == 1 else []


def config_error(
    source: str,
    error: ValidationError,
    data: Mapping[str, Any] | None = None,
    *,
    model: type[BaseModel] | None = None,
) -> ConfigError:
    """A :class:`ConfigError` listing every problem pydantic found, each with its location, the
    offending value and what is allowed (for an unknown field, the fields of ``model`` there)."""
    lines = []
    for e in error.errors():
        where = _error_location(tuple(e["loc"]))
        message = e["msg"].removeprefix("Value error, ")
        allowed = _fields_at(model, tuple(e["loc"])) if model is not None and e["type"] == "extra_forbidden" else []
        if allowed:
            message = f"unknown field; allowed: {', '.join(allowed)}"
        value = e.get("input")
        shown = "" if isinstance(value, (dict, list)) or value is None else f" = {value!r}"
        lines.append(f"{source}: {where}{shown}: {message}" if where else f"{source}: {message}")
    return ConfigError("\n".join(lines))


def read_toml(path: Path) -> dict[str, Any]:
    """The contents of a TOML file, or a ConfigError naming the file (missing, not UTF-8, not
    TOML, or nested too deeply to parse)."""
    if not path.is_file():
        raise ConfigError(f"{path}: no such file")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise _not_utf8(path) from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid TOML: arrays or tables nested too deeply") from None


def read_csv(path: Path, **options: Any) -> pd.DataFrame:
    """The contents of a CSV file with a header row (``options`` go to :func:`pandas.read_csv`),
    or a ConfigError naming the file (missing, empty, not UTF-8, or not parseable as CSV)."""
    if not path.is_file():
        raise ConfigError(f"{path}: no such file")
    try:
        frame: pd.DataFrame = pd.read_csv(path, encoding="utf-8", **options)
    except UnicodeDecodeError:
        raise _not_utf8(path) from None
    except pd.errors.EmptyDataError:
        raise ConfigError(f"{path}: empty file: a CSV file needs a header row") from None
    except pd.errors.ParserError as e:
        raise ConfigError(f"{path}: not a readable CSV file: {e}") from None
    return frame


def pyarrow_parquet(path: Path) -> Any:
    """pyarrow.parquet, loaded on use: pyarrow is optional (the ``parquet`` extra; without it a
    :class:`~alvh.exceptions.MissingDependencyError` naming ``path``)."""
    return require("pyarrow.parquet", extra="parquet", needed_by=f"{path}: reading or writing Parquet")


def read_parquet(path: Path) -> pd.DataFrame:
    """The table of a Parquet file, or a ConfigError naming the file (missing, or not readable as
    Parquet); without pyarrow a MissingDependencyError naming it."""
    if not path.is_file():
        raise ConfigError(f"{path}: no such file")
    pyarrow_parquet(path)  # a named error without the optional pyarrow
    try:
        frame: pd.DataFrame = pd.read_parquet(path)
    except (ValueError, OSError) as e:  # pyarrow.ArrowInvalid is a ValueError
        raise ConfigError(f"{path}: cannot read as Parquet: {e}") from None
    return frame


def _not_utf8(path: Path) -> ConfigError:
    """The error for a file that is not UTF-8, naming the line of its first bad byte (decoded again
    here: a reader's own offset may be into a buffer, not the file)."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        return ConfigError(f"{path}: line {line}: byte {data[e.start]:#04x} is not UTF-8 text: save the file as UTF-8")
    return ConfigError(f"{path}: not UTF-8 text: save the file as UTF-8")  # pragma: no cover (changed meanwhile)
