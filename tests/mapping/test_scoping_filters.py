"""Clauses AND-ed within a filter, filters OR-ed, no filter = everything in scope; the attributes the
filters read (for Graph's $select)."""

from __future__ import annotations

from provisioning.mapping.scoping import Clause, ScopingFilters, parse_filters

NEW_YORK_ENGINEERS = [  # the reference's example filter
    {"attribute": "state", "operator": "EQUALS", "value": "New York"},
    {"attribute": "department", "operator": "EQUALS", "value": "Engineering"},
    {"attribute": "employeeId", "operator": "Greater_Than_OR_EQUALS", "value": 1000000},
    {
        "attribute": "employeeId",
        "operator": "NOT REGEX MATCH",
        "value": "^(2[0-9]{6,}|[3-9][0-9]{6,}|[0-9]{8,})$",
    },
    {"attribute": "jobTitle", "operator": "IS NOT NULL"},
]
ENGINEER = {"state": "New York", "department": "Engineering", "employeeId": "1500000", "jobTitle": "Dev"}


def test_clauses_are_and_ed() -> None:
    filters = parse_filters([NEW_YORK_ENGINEERS])
    assert filters.matches(ENGINEER)
    assert not filters.matches({**ENGINEER, "state": "Ohio"})
    assert not filters.matches({**ENGINEER, "employeeId": "2500000"})
    assert not filters.matches({**ENGINEER, "jobTitle": ""})


def test_filters_are_or_ed() -> None:
    filters = parse_filters(
        [
            [{"attribute": "department", "operator": "EQUALS", "value": "Sales"}],
            [{"attribute": "department", "operator": "EQUALS", "value": "Engineering"}],
        ]
    )
    assert filters.matches({"department": "Sales"})
    assert filters.matches({"department": "Engineering"})
    assert not filters.matches({"department": "Legal"})


def test_no_filter_lets_everyone_in() -> None:
    assert parse_filters([]).matches({})
    assert ScopingFilters().matches({"anything": 1})


def test_attributes_lists_what_the_filters_read() -> None:
    filters = parse_filters([NEW_YORK_ENGINEERS, [{"attribute": "country", "operator": "IS NULL"}]])
    assert filters.attributes == frozenset({"state", "department", "employeeId", "jobTitle", "country"})


def test_clauses_are_parsed_into_typed_values() -> None:
    filters = parse_filters([[{"attribute": "n", "operator": "Greater_Than", "value": "5"}]])
    assert filters.filters == ((Clause("n", "Greater_Than", 5),),)


def test_a_dotted_attribute_reads_inside_a_complex_property() -> None:
    filters = parse_filters(
        [
            [
                {
                    "attribute": "onPremisesExtensionAttributes.extensionAttribute1",
                    "operator": "EQUALS",
                    "value": "x",
                }
            ]
        ]
    )
    assert filters.matches({"onPremisesExtensionAttributes": {"extensionAttribute1": "x"}})
