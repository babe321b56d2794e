"""The date-translation task: human-written dates -> ISO ``YYYY-MM-DD``, generated and seeded.

Every pair is a real calendar date between :data:`MIN_DATE` and
:data:`MAX_DATE` written in one of the formats of :data:`DATE_FORMATS`
('25th of June, 2009', 'Thursday, March 3 1998', '3/7/21', '7 Mar 2021',
'march 3, 1998', ...), paired with its ISO form. Weekday names are the
real weekday of the date. The conventions make every input unambiguous, so
a perfect translator exists:

* slashes are American, month first: '3/7/21' is March 7;
* dots are European, day first: '7.3.2021' is March 7;
* a two-digit year ``yy`` means 19yy for yy >= 50 and 20yy below, which is
  why the dates span 1950-01-01 .. 2049-12-31.

:func:`date_pairs` draws ``n`` pairs; :func:`date_translation_split` returns
a training set and a held-out set whose dates never overlap, the held-out set
depending only on ``(n_test, seed)``, so a model trained on any number of
pairs is always scored on the same dates.
"""

from __future__ import annotations

import datetime
from typing import Callable, Sequence

import numpy as np

from rosenblatt.random import generator, nonnegative_int

MIN_DATE = datetime.date(1950, 1, 1)
MAX_DATE = datetime.date(2049, 12, 31)
NUM_DAYS = (MAX_DATE - MIN_DATE).days + 1

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def ordinal(day: int) -> str:
    """'1st', '2nd', '3rd', '4th', ..., '11th', '12th', '13th', ..., '21st', ..., '31st'."""
    if 10 <= day % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _month(d: datetime.date) -> str:
    return MONTHS[d.month - 1]


def _mon(d: datetime.date) -> str:
    return MONTHS[d.month - 1][:3]


def _weekday(d: datetime.date) -> str:
    return WEEKDAYS[d.weekday()]


def _yy(d: datetime.date) -> str:
    return f"{d.year % 100:02d}"


# name -> function writing a date in that format (the example in the comment is 1998-03-07, a Saturday)
DATE_FORMATS: dict[str, Callable[[datetime.date], str]] = {
    "ordinal_of_month": lambda d: f"{ordinal(d.day)} of {_month(d)}, {d.year}",        # 7th of March, 1998
    "the_ordinal_of_month": lambda d: f"the {ordinal(d.day)} of {_month(d)} {d.year}",  # the 7th of March 1998
    "weekday_month_day_year": lambda d: f"{_weekday(d)}, {_month(d)} {d.day} {d.year}",  # Saturday, March 7 1998
    "weekday_day_month_year": lambda d: f"{_weekday(d)} {d.day} {_month(d)} {d.year}",  # Saturday 7 March 1998
    "short_weekday_day_mon_year": lambda d: f"{_weekday(d)[:3]} {d.day} {_mon(d)} {d.year}",  # Sat 7 Mar 1998
    "month_day_year": lambda d: f"{_month(d)} {d.day}, {d.year}",                        # March 7, 1998
    "lower_month_day_year": lambda d: f"{_month(d).lower()} {d.day}, {d.year}",          # march 7, 1998
    "upper_weekday_month_day_year":
        lambda d: f"{_weekday(d).upper()}, {_month(d).upper()} {d.day}, {d.year}",       # SATURDAY, MARCH 7, 1998
    "mon_day_year": lambda d: f"{_mon(d)} {d.day}, {d.year}",                            # Mar 7, 1998
    "month_ordinal_year": lambda d: f"{_month(d)} {ordinal(d.day)}, {d.year}",           # March 7th, 1998
    "day_month_year": lambda d: f"{d.day} {_month(d)} {d.year}",                         # 7 March 1998
    "day_mon_year": lambda d: f"{d.day} {_mon(d)} {d.year}",                             # 7 Mar 1998
    "day_lower_mon_yy": lambda d: f"{d.day} {_mon(d).lower()} {_yy(d)}",                 # 7 mar 98
    "us_slash_short": lambda d: f"{d.month}/{d.day}/{_yy(d)}",                           # 3/7/98
    "us_slash_padded": lambda d: f"{d.month:02d}/{d.day:02d}/{d.year}",                  # 03/07/1998
    "european_dots": lambda d: f"{d.day}.{d.month}.{d.year}",                            # 7.3.1998
    "iso": lambda d: d.isoformat(),                                                      # 1998-03-07
}


def iso(date: datetime.date) -> str:
    """The target: 'YYYY-MM-DD'."""
    return date.isoformat()


def format_date(date: datetime.date, fmt: str) -> str:
    """``date`` written in the format named ``fmt`` (a key of :data:`DATE_FORMATS`)."""
    try:
        writer = DATE_FORMATS[fmt]
    except KeyError:
        raise ValueError(f"fmt must be one of {sorted(DATE_FORMATS)}, got {fmt!r}") from None
    if not MIN_DATE <= date <= MAX_DATE:
        raise ValueError(f"date must lie in {MIN_DATE}..{MAX_DATE} (two-digit years are "
                         f"ambiguous outside it), got {date}")
    return writer(date)


def _check_formats(formats: Sequence[str] | None) -> tuple[str, ...]:
    if formats is None:
        return tuple(DATE_FORMATS)
    if isinstance(formats, str):
        raise TypeError("formats must be a sequence of format names, not a str")
    formats = tuple(formats)
    if not formats:
        raise ValueError("formats must name at least one format")
    unknown = [f for f in formats if f not in DATE_FORMATS]
    if unknown:
        raise ValueError(f"unknown formats {unknown}; choose from {sorted(DATE_FORMATS)}")
    return formats


def _rng(seed) -> np.random.Generator:
    """A generator from an int seed (or a tuple of ints), or the library's generator for None."""
    if seed is None:
        return generator()
    return np.random.default_rng(seed)


def _pairs(days: np.ndarray, format_ids: np.ndarray, formats: tuple[str, ...]) -> list[tuple[str, str]]:
    pairs = []
    for day, format_id in zip(days.tolist(), format_ids.tolist()):
        date = MIN_DATE + datetime.timedelta(days=day)
        pairs.append((DATE_FORMATS[formats[format_id]](date), iso(date)))
    return pairs


def date_pairs(n: int, seed: int | None = None, formats: Sequence[str] | None = None
               ) -> list[tuple[str, str]]:
    """``n`` (human date, ISO date) pairs: dates uniform over the range, formats uniform.

    ``seed`` (an int) makes the draw repeatable on its own; ``None`` draws
    from rosenblatt's generator (so ``rb.manual_seed`` makes it repeatable).
    ``formats`` restricts the formats to those names.
    """
    n = nonnegative_int(n, "n")
    formats = _check_formats(formats)
    rng = _rng(seed)
    days = rng.integers(0, NUM_DAYS, size=n)
    return _pairs(days, rng.integers(0, len(formats), size=n), formats)


def date_translation_split(n_train: int, n_test: int = 1000, seed: int = 0,
                           formats: Sequence[str] | None = None
                           ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(train pairs, held-out pairs) over distinct dates: no held-out date occurs in training.

    All ``n_train + n_test`` dates are different (drawn without replacement
    from the 36,525 days of the range). The held-out pairs depend only on
    ``n_test``, ``seed`` and ``formats``: every training size is scored on
    the same held-out dates written the same way.
    """
    n_train, n_test = nonnegative_int(n_train, "n_train"), nonnegative_int(n_test, "n_test")
    if n_train + n_test > NUM_DAYS:
        raise ValueError(f"n_train + n_test must be <= {NUM_DAYS} (the distinct dates of "
                         f"{MIN_DATE}..{MAX_DATE}), got {n_train + n_test}")
    seed = nonnegative_int(seed, "seed")
    formats = _check_formats(formats)
    days = np.random.default_rng((seed, 0)).permutation(NUM_DAYS)
    test_formats = np.random.default_rng((seed, 1)).integers(0, len(formats), size=n_test)
    train_formats = np.random.default_rng((seed, 2)).integers(0, len(formats), size=n_train)
    test = _pairs(days[:n_test], test_formats, formats)
    train = _pairs(days[n_test:n_test + n_train], train_formats, formats)
    return train, test
