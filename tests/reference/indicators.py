"""Loop-based reference implementations of the market-signal indicators (test oracle).

Deliberately plain: Python lists and floats, one day at a time, each step written as the
textbook states it. Slow and obviously right; no validation (the tests feed clean data). Each
function returns a list with one entry per input day, ``nan`` where there is no value.

These mirror :mod:`alvh.method.signals` definition by definition, but share no code with it.
"""

from __future__ import annotations

import math

NAN = float("nan")


def wilder_rsi(closes: list[float], period: int = 14) -> list[float]:
    """Relative Strength Index, as defined by J. Welles Wilder Jr., *New Concepts in Technical
    Trading Systems* (Trend Research, 1978), Section VI "The Relative Strength Index".

    Wilder's worksheet: for each day the change from the previous close is an "up close" or a
    "down close". The first average up (down) close is the sum of the up (down) closes of the
    first ``period`` changes divided by ``period``; afterwards

        average up close = (previous average up close x (period - 1) + today's up close) / period

    and likewise for down closes. RS = average up / average down, RSI = 100 - 100 / (1 + RS).
    Limits (Wilder's RSI is 100 when there are no down closes): RSI = 100 when the average down
    close is 0 and the average up close is positive, 0 in the opposite case, 50 when both are 0
    (a flat market). The first ``period`` days have no RSI.
    """
    n = len(closes)
    out = [NAN] * n
    if n <= period:
        return out
    ups = []
    downs = []
    for i in range(1, n):
        change = closes[i] - closes[i - 1]
        ups.append(change if change > 0 else 0.0)
        downs.append(-change if change < 0 else 0.0)
    avg_up = 0.0
    avg_down = 0.0
    for k in range(period):
        avg_up += ups[k]
        avg_down += downs[k]
    avg_up /= period
    avg_down /= period
    for day in range(period, n):
        k = day - 1  # index of today's change in ups/downs
        if day > period:
            avg_up = (avg_up * (period - 1) + ups[k]) / period
            avg_down = (avg_down * (period - 1) + downs[k]) / period
        if avg_down == 0.0 and avg_up == 0.0:
            out[day] = 50.0
        elif avg_down == 0.0:
            out[day] = 100.0
        else:
            rs = avg_up / avg_down
            out[day] = 100.0 - 100.0 / (1.0 + rs)
    return out


def ema(values: list[float], span: int) -> list[float]:
    """Exponential moving average with smoothing constant alpha = 2 / (span + 1), as used by
    Gerald Appel for MACD (*The Moving Average Convergence-Divergence Trading Method*, Signalert
    1979; *Technical Analysis: Power Tools for Active Investors*, FT Prentice Hall 2005, ch. 8):

        EMA_0 = x_0,    EMA_t = alpha x_t + (1 - alpha) EMA_{t-1}.

    Seeding with the first value is the convention of ``pandas.Series.ewm(adjust=False)``.
    """
    alpha = 2.0 / (span + 1.0)
    out = []
    current = NAN
    for i, x in enumerate(values):
        current = x if i == 0 else alpha * x + (1.0 - alpha) * current
        out.append(current)
    return out


def macd(
    closes: list[float], fast: int = 12, slow: int = 26, signal: int = 9
) -> tuple[list[float], list[float], list[float], list[float]]:
    """MACD line, signal line, histogram and histogram slope.

    MACD = EMA_fast(close) - EMA_slow(close), signal = EMA_signal(MACD) (Appel 1979, 2005); the
    histogram MACD - signal is Thomas Aspray's (1986) addition; its slope is the day-over-day
    change (no value on the first day).
    """
    fast_ema = ema(closes, fast)
    slow_ema = ema(closes, slow)
    line = [f - s for f, s in zip(fast_ema, slow_ema, strict=True)]
    sig = ema(line, signal)
    hist = [m - s for m, s in zip(line, sig, strict=True)]
    slope = [NAN] + [hist[i] - hist[i - 1] for i in range(1, len(hist))]
    return line, sig, hist, slope


def histogram_trend(hist: list[float], window: int = 3) -> list[str]:
    """ "compressing" when |histogram| fell strictly on each of the last ``window`` days,
    "expanding" when it rose strictly on each, "neutral" otherwise (and before ``window`` changes
    exist). A shrinking histogram bar is the classic sign of fading momentum (Aspray 1986;
    Elder, *Trading for a Living*, Wiley 1993, on the slope of the MACD-Histogram).
    """
    out = []
    for t in range(len(hist)):
        label = "neutral"
        if t >= window:
            sizes = [abs(hist[i]) for i in range(t - window, t + 1)]
            if all(sizes[i + 1] < sizes[i] for i in range(window)):
                label = "compressing"
            elif all(sizes[i + 1] > sizes[i] for i in range(window)):
                label = "expanding"
        out.append(label)
    return out


def advance_decline_line(advances: list[float], declines: list[float]) -> list[float]:
    """The advance-decline line: the running total of (advancing - declining issues) (J. J.
    Murphy, *Technical Analysis of the Financial Markets*, NYIF 1999, on market breadth;
    R. W. Colby, *The Encyclopedia of Technical Market Indicators*, 2nd ed., McGraw-Hill 2003,
    "Advance-Decline Line")."""
    out = []
    total = 0.0
    for a, d in zip(advances, declines, strict=True):
        total += a - d
        out.append(total)
    return out


def ad_divergence(closes: list[float], ad_line: list[float], lookback: int = 20) -> list[int]:
    """Breadth divergence (Murphy 1999, Colby 2003): +1 when the close makes a new
    ``lookback``-day high (above the highest of the previous ``lookback`` closes) while the A/D
    line does not (not above the highest of its previous ``lookback`` values); -1 for a new low
    not confirmed by the A/D line; 0 otherwise and on the first ``lookback`` days."""
    out = []
    for t in range(len(closes)):
        value = 0
        if t >= lookback:
            prev_c = closes[t - lookback : t]
            prev_ad = ad_line[t - lookback : t]
            if closes[t] > max(prev_c) and not ad_line[t] > max(prev_ad):
                value = 1
            elif closes[t] < min(prev_c) and not ad_line[t] < min(prev_ad):
                value = -1
        out.append(value)
    return out


def vix_spike(
    vix: list[float], window: int = 20, threshold: float = 0.30
) -> tuple[list[bool], list[bool], list[bool], list[float], list[float], list[float]]:
    """VIX spike episodes, by the definition of ``alvh.method.signals.vix_spike`` (docs/method.md, Rules: R-DELAYER;
    there is no textbook source). Day by day, with low = min of the last ``window`` closes
    (today included; none before ``window`` days):

    * outside an episode, a close >= low x (1 + threshold) starts one: base = low, peak = close;
    * inside, peak = max(peak, close) and retracement = (peak - close) / (peak - base);
    * a close < low x (1 + threshold / 3) is the episode's last day.

    Returns (spike, start, end, base, peak, retracement), NaN/False outside an episode.
    """
    n = len(vix)
    spike = [False] * n
    start = [False] * n
    end = [False] * n
    base_out = [NAN] * n
    peak_out = [NAN] * n
    retr_out = [NAN] * n
    active = False
    base = peak = NAN
    for t in range(n):
        if t < window - 1:
            continue  # no full window yet: no episode can start (and none is open)
        low = min(vix[t - window + 1 : t + 1])
        if not active:
            if vix[t] >= low * (1.0 + threshold):
                active = True
                start[t] = True
                base = low
                peak = vix[t]
            else:
                continue
        peak = max(peak, vix[t])
        spike[t] = True
        base_out[t] = base
        peak_out[t] = peak
        retr_out[t] = (peak - vix[t]) / (peak - base)
        if vix[t] < low * (1.0 + threshold / 3.0):
            end[t] = True
            active = False
    return spike, start, end, base_out, peak_out, retr_out


def theta_realisation(realised: list[float], projected: list[float], window: int = 5) -> list[float]:
    """Ratio of summed realised decay P&L to summed projected theta over the last ``window``
    days (docs/method.md, Rules: R-RSI-REDUCE, "theta decaying slower than projected"; a definition, not a
    textbook indicator). NaN before ``window`` days and where the projected sum is <= 0."""
    out = []
    for t in range(len(realised)):
        if t < window - 1:
            out.append(NAN)
            continue
        num = math.fsum(realised[t - window + 1 : t + 1])
        den = math.fsum(projected[t - window + 1 : t + 1])
        out.append(num / den if den > 0 else NAN)
    return out
