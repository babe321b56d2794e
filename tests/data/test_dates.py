"""The date-translation generator: valid dates, real weekdays, every format parses back, held-out split."""

import datetime
import re

import pytest

import rosenblatt as rb
from rosenblatt.data import DATE_FORMATS, date_pairs, date_translation_split, format_date
from rosenblatt.data.dates import MAX_DATE, MIN_DATE, NUM_DAYS, ordinal

# An independent reader for each format (strptime patterns; ordinals and
# two-digit years handled here), to check that every string names its date.
_STRPTIME = {
    "ordinal_of_month": "%d of %B, %Y",
    "the_ordinal_of_month": "the %d of %B %Y",
    "weekday_month_day_year": "%A, %B %d %Y",
    "weekday_day_month_year": "%A %d %B %Y",
    "short_weekday_day_mon_year": "%a %d %b %Y",
    "month_day_year": "%B %d, %Y",
    "lower_month_day_year": "%B %d, %Y",
    "upper_weekday_month_day_year": "%A, %B %d, %Y",
    "mon_day_year": "%b %d, %Y",
    "month_ordinal_year": "%B %d, %Y",
    "day_month_year": "%d %B %Y",
    "day_mon_year": "%d %b %Y",
    "day_lower_mon_yy": "%d %b %y",
    "us_slash_short": "%m/%d/%y",
    "us_slash_padded": "%m/%d/%Y",
    "european_dots": "%d.%m.%Y",
    "iso": "%Y-%m-%d",
}


def _read(text: str, fmt: str) -> datetime.date:
    text = re.sub(r"\b(\d+)(st|nd|rd|th)\b", r"\1", text)
    parsed = datetime.datetime.strptime(text, _STRPTIME[fmt])  # C locale: English names
    date = parsed.date()
    if "%y" in _STRPTIME[fmt] and date.year >= 2050:  # strptime's pivot is 69; ours is 50
        date = date.replace(year=date.year - 100)
    if "%A" in _STRPTIME[fmt] or "%a" in _STRPTIME[fmt]:
        weekday = text.split()[0].rstrip(",").lower()
        assert date.strftime("%A").lower().startswith(weekday), (text, date)
    return date


def test_every_format_reads_back_to_its_date_with_the_right_weekday():
    assert set(_STRPTIME) == set(DATE_FORMATS)
    days = [MIN_DATE, MAX_DATE, datetime.date(2000, 2, 29), datetime.date(1969, 12, 31),
            datetime.date(2049, 1, 1), datetime.date(1950, 7, 4)]
    days += [MIN_DATE + datetime.timedelta(days=d) for d in range(0, NUM_DAYS, 997)]
    for fmt in DATE_FORMATS:
        for day in days:
            assert _read(format_date(day, fmt), fmt) == day, (fmt, day)


def test_examples_of_the_issue():
    d = datetime.date(2009, 6, 25)
    assert format_date(d, "ordinal_of_month") == "25th of June, 2009"
    assert format_date(datetime.date(1998, 3, 3), "weekday_month_day_year") == "Tuesday, March 3 1998"
    assert format_date(datetime.date(2021, 3, 7), "us_slash_short") == "3/7/21"
    assert format_date(datetime.date(2021, 3, 7), "day_mon_year") == "7 Mar 2021"
    assert format_date(datetime.date(1998, 3, 3), "lower_month_day_year") == "march 3, 1998"
    assert [ordinal(d) for d in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 31)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "31st"]


def test_pairs_are_valid_iso_dates_and_repeatable():
    pairs = date_pairs(500, seed=3)
    assert pairs == date_pairs(500, seed=3) and pairs != date_pairs(500, seed=4)
    for human, target in pairs:
        date = datetime.date.fromisoformat(target)
        assert MIN_DATE <= date <= MAX_DATE and len(target) == 10
        assert human in {format_date(date, fmt) for fmt in DATE_FORMATS}
    assert len({human for human, _ in pairs}) > 490


def test_unseeded_pairs_follow_manual_seed():
    rb.manual_seed(5)
    first = date_pairs(20)
    rb.manual_seed(5)
    assert date_pairs(20) == first


def test_formats_are_all_used_and_can_be_restricted():
    pairs = date_pairs(3000, seed=0)
    used = {fmt for human, target in pairs for fmt in DATE_FORMATS
            if format_date(datetime.date.fromisoformat(target), fmt) == human}
    assert used == set(DATE_FORMATS)
    only = date_pairs(50, seed=0, formats=["iso"])
    assert all(human == target for human, target in only)


def test_split_has_no_overlap_and_a_fixed_held_out_set():
    train, test = date_translation_split(5000, 1000, seed=0)
    assert len(train) == 5000 and len(test) == 1000
    train_dates, test_dates = {t for _, t in train}, {t for _, t in test}
    assert len(train_dates) == 5000 and len(test_dates) == 1000  # distinct dates
    assert not train_dates & test_dates
    _, test_again = date_translation_split(100, 1000, seed=0)
    assert test_again == test  # the held-out set does not depend on the training size
    assert date_translation_split(10, 1000, seed=1)[1] != test


@pytest.mark.parametrize("call, error, match", [
    (lambda: date_pairs(-1), ValueError, "n must be >= 0"),
    (lambda: date_pairs(2.5), TypeError, "n must be an int"),
    (lambda: date_pairs(3, formats=["nope"]), ValueError, "unknown formats"),
    (lambda: date_pairs(3, formats="iso"), TypeError, "formats must be a sequence"),
    (lambda: date_pairs(3, formats=[]), ValueError, "at least one format"),
    (lambda: date_translation_split(NUM_DAYS, 1), ValueError, "n_train \\+ n_test"),
    (lambda: format_date(datetime.date(2050, 1, 1), "iso"), ValueError, "date must lie"),
    (lambda: format_date(MIN_DATE, "klingon"), ValueError, "fmt must be one of"),
])
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()
