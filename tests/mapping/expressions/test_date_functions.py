"""Dates: CDate, DateAdd, DateDiff, DateFromNum, FormatDateTime, Now, NumFromDate, in UTC and
written M/d/yyyy h:mm:ss tt as the reference shows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from provisioning.mapping.expressions import ExpressionError, parse
from tests.mapping.expressions.evaluate import value

HIRE = {"StatusHireDate": "2012-03-16-07:00"}

REFERENCE_EXAMPLES = [
    ("CDate([StatusHireDate])", {"StatusHireDate": "2020-03-16-07:00"}, "3/16/2020 7:00:00 AM"),
    ('CDate("2021-06-30+08:00")', {}, "6/29/2021 4:00:00 PM"),
    ('CDate("2009-06-15T01:45:30-07:00")', {}, "6/15/2009 8:45:30 AM"),
    ('DateAdd("d", 7, CDate([StatusHireDate]))', HIRE, "3/23/2012 7:00:00 AM"),
    ('DateAdd("d", -10, CDate([StatusHireDate]))', HIRE, "3/6/2012 7:00:00 AM"),
    ('DateAdd("ww", 2, CDate([StatusHireDate]))', HIRE, "3/30/2012 7:00:00 AM"),
    ('DateAdd("m", 10, CDate([StatusHireDate]))', HIRE, "1/16/2013 7:00:00 AM"),
    ('DateAdd("yyyy", 2, CDate([StatusHireDate]))', HIRE, "3/16/2014 7:00:00 AM"),
    ('DateDiff("d", CDate("2021-08-18+08:00"), CDate("2021-08-31+08:00"))', {}, 13),
    ('DateDiff("d", CDate("8/25/2021 5:41:18 PM"), CDate("2012-03-16-07:00"))', {}, -3449),
    ('DateDiff("ww", CDate("8/25/2021 5:41:18 PM"), CDate("2012-03-16-07:00"))', {}, -493),
    ('DateDiff("m", CDate("8/25/2021 5:41:18 PM"), CDate("2012-03-16-07:00"))', {}, -113),
    ('DateDiff("yyyy", CDate("8/25/2021 5:41:18 PM"), CDate("2012-03-16-07:00"))', {}, -9),
    ('DateDiff("d", CDate("2021-08-31+08:00"), CDate("2021-08-31+08:00"))', {}, 0),
    ('DateDiff("h", CDate("2021-08-24"), CDate("2021-08-25"))', {}, 24),
    ('DateDiff("n", CDate("2021-08-24"), CDate("2021-08-25"))', {}, 1440),
    ('DateDiff("s", CDate("2021-08-24"), CDate("2021-08-25"))', {}, 86400),
    ("DateFromNum(129699324000000000)", {}, "1/1/2012 11:00:00 PM"),  # "January 1, 2012 at 11:00PM"
    (
        'FormatDateTime([extensionAttribute1], , "yyyyMMddHHmmss.fZ", "yyyy-MM-dd")',
        {"extensionAttribute1": "20150123105347.1Z"},
        "2015-01-23",
    ),
    ("Now()", {}, "7/2/2021 3:33:38 PM"),
]


@pytest.mark.parametrize(("expression", "attributes", "expected"), REFERENCE_EXAMPLES)
def test_reference_examples(expression: str, attributes: dict[str, Any], expected: Any) -> None:
    assert value(expression, attributes) == expected


def test_hire_date_within_five_days_switch() -> None:
    """The reference's Switch + IIF + DateDiff example, with the clock fixed."""
    expression = """Switch([Active], ,
  "1", IIF(DateDiff("d", Now(), CDate([StatusHireDate])) > 5, "False", "True"),
  "0", "False")"""
    now = datetime(2021, 8, 1, 12, tzinfo=UTC)
    assert value(expression, {"Active": "1", "StatusHireDate": "2021-08-04"}, now=now) == "True"
    assert value(expression, {"Active": "1", "StatusHireDate": "2021-08-30"}, now=now) == "False"
    assert value(expression, {"Active": "0", "StatusHireDate": "2021-08-04"}, now=now) == "False"


@pytest.mark.parametrize(
    ("expression", "attributes"),
    [
        (
            'NumFromDate(Join("", FormatDateTime([ContractEndDate], ,"yyyy-MM-ddzzz", "yyyy-MM-dd"), " 23:59:59-08:00"))',  # noqa: E501 (verbatim)
            {"ContractEndDate": "2020-12-31-08:00"},
        ),
        (
            'NumFromDate(Join("",FormatDateTime([endDate], ,"M/d/yyyy hh:mm:ss tt","yyyy-MM-dd")," 23:59:59-08:00"))',  # noqa: E501 (verbatim)
            {"endDate": "12/31/2020 10:00:00 AM"},
        ),
    ],
)
def test_num_from_date_reference_examples(expression: str, attributes: dict[str, Any]) -> None:
    """2020-12-31 23:59:59 at -08:00 is 2021-01-01 07:59:59 UTC: AD ticks (100 ns) since 1601."""
    seconds = (datetime(2021, 1, 1, 7, 59, 59, tzinfo=UTC) - datetime(1601, 1, 1, tzinfo=UTC)).total_seconds()
    assert value(expression, attributes) == int(seconds) * 10_000_000


def test_num_from_date_and_date_from_num_round_trip() -> None:
    assert value('DateFromNum(NumFromDate("2009-06-15T01:45:30-07:00"))') == "6/15/2009 8:45:30 AM"


@pytest.mark.parametrize(
    ("source", "input_format", "output_format", "expected"),
    [
        (
            "2024-02-29T13:05:09.1234567Z",
            "yyyy-MM-ddTHH:mm:ss.fffffffK",
            "dd/MM/yy h:m:s tt",
            "29/02/24 1:5:9 PM",
        ),
        ("March 5, 2024", "MMMM d, yyyy", "ddd dd MMM yyyy", "Tue 05 Mar 2024"),
        ("05.03.2024 23:59", "dd.MM.yyyy HH:mm", "yyyy-MM-dd'T'HH:mm:sszzz", "2024-03-05T23:59:00+00:00"),
        ("2024-03-05 10:00 +02:00", "yyyy-MM-dd HH:mm zzz", "HH:mm K", "08:00 Z"),
        ("20240305", "yyyyMMdd", "o", "2024-03-05T00:00:00.0000000Z"),
        ("20240305", "yyyyMMdd", "s", "2024-03-05T00:00:00"),
        ("2024-03-05T10:00:00.5Z", "yyyy-MM-ddTHH:mm:ss.FFFK", "ss.FFF|ss.fff", "00.5|00.500"),
    ],
)
def test_format_date_time_formats(source: str, input_format: str, output_format: str, expected: str) -> None:
    expression = f'FormatDateTime([d], , "{input_format}", "{output_format}")'
    assert value(expression, {"d": source}) == expected


def test_null_dates_give_null() -> None:
    assert value('FormatDateTime([missing], , "yyyy", "yyyy")') is None
    assert value("CDate([missing])") is None
    assert value('DateAdd("d", 1, [missing])') is None
    assert value('DateDiff("d", Now(), [missing])') is None
    assert value("NumFromDate([missing])") is None
    assert value("DateFromNum([missing])") is None


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ('FormatDateTime([d], , "gg yyyy", "yyyy")', "unsupported date format specifier 'g'"),
        ('FormatDateTime([d], , "yyyy", "X")', "unsupported standard date format 'X'"),
        ('FormatDateTime([d], "Bogus", "yyyy", "yyyy")', "unknown dateTimeStyles 'Bogus'"),
        ('DateAdd("q", 1, Now())', "interval must be one of yyyy, m, d, ww, h, n, s, got 'q'"),
    ],
)
def test_unsupported_formats_are_refused_when_parsing(expression: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        parse(expression)


def test_a_value_that_does_not_match_its_format_names_both() -> None:
    with pytest.raises(ExpressionError) as caught:
        value('FormatDateTime([d], , "yyyy-MM-dd", "yyyy")', {"d": "31/12/2020"})
    assert "at column 1: FormatDateTime: '31/12/2020' does not match the date format 'yyyy-MM-dd'" in str(
        caught.value
    )


def test_date_time_styles_are_accepted() -> None:
    assert (
        value('FormatDateTime([d], "AdjustToUniversal, AllowLeadingWhite", "yyyy", "yy")', {"d": " 2024"})
        == "24"
    )
