"""Scheduled macro events (FOMC, CPI, PPI) and the time-shifting of hedges around them: the L1
VIX call spread expires just *after* the next event so that its vega covers the event without
expiring inside it (docs/method.md, Layers)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from alvh._config import config_error, read_csv, read_toml
from alvh.exceptions import ConfigError
from alvh.market.snapshot import Market

__all__ = ["Event", "first_vix_expiry_after", "load_events", "next_event", "vix_expiries_after"]

EventKind = Literal["FOMC", "CPI", "PPI"]


@dataclass(frozen=True, order=True)
class Event:
    """A scheduled event on a date."""

    date: dt.date
    kind: str


class _EventFile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    date: dt.date
    kind: EventKind


class _CalendarFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[_EventFile] = Field(min_length=1)


def load_events(path: str | Path) -> list[Event]:
    """Read an event calendar: TOML (``[[events]]`` with ``date`` and ``kind``) or CSV (columns
    ``date,kind``). Kinds: FOMC, CPI, PPI. Returns the events sorted by date."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: no such file")
    if path.suffix.lower() == ".csv":
        frame = read_csv(path, dtype=str, keep_default_na=False)
        missing = {"date", "kind"} - set(frame.columns)
        if missing:
            raise ConfigError(f"{path}: missing column {sorted(missing)[0]!r} (need date, kind)")
        dates = pd.to_datetime(frame["date"], format="%Y-%m-%d", errors="coerce")
        if dates.isna().any():
            row = int(dates.isna().to_numpy().argmax())
            raise ConfigError(f"{path}: row {row + 1}: date = {frame['date'].iloc[row]!r} is not a date (YYYY-MM-DD)")
        kinds = get_args(EventKind)
        unknown = ~frame["kind"].isin(kinds).to_numpy()
        if unknown.any():  # named by CSV row here: the model would count events from 0
            row = int(unknown.argmax())
            raise ConfigError(
                f"{path}: row {row + 1}: kind = {frame['kind'].iloc[row]!r} is not one of {', '.join(kinds)}"
            )
        data = {"events": [{"date": d.date(), "kind": k} for d, k in zip(dates, frame["kind"], strict=True)]}
    else:
        data = read_toml(path)
    try:
        calendar = _CalendarFile.model_validate(data)
    except ValidationError as e:
        raise config_error(str(path), e, model=_CalendarFile) from None
    return sorted(Event(e.date, e.kind) for e in calendar.events)


def next_event(events: list[Event], after: dt.date) -> Event | None:
    """The first event strictly after ``after``."""
    return next((e for e in sorted(events) if e.date > after), None)


def vix_expiries_after(market: Market, day: dt.date, *, with_options: bool = True) -> list[dt.date]:
    """The VIX expiries on the market's curve strictly after ``day``, in order (with a VIX option
    vol when ``with_options``)."""
    return sorted(f.expiry for f in market.vix.futures if f.expiry > day and (f.option_vol or not with_options))


def first_vix_expiry_after(market: Market, day: dt.date, *, with_options: bool = True) -> dt.date | None:
    """The first of :func:`vix_expiries_after`, or None."""
    expiries = vix_expiries_after(market, day, with_options=with_options)
    return expiries[0] if expiries else None
