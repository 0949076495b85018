"""Fixtures shared by the whole suite live in tests/fixtures/ and are loaded here as plugins."""

pytest_plugins = [
    "tests.fixtures.azurite",
    "tests.fixtures.graph_sim",
    "tests.fixtures.goto_sim",
    "tests.fixtures.world",
    "tests.fixtures.scim2",
    "tests.fixtures.scimmy",
    "tests.fixtures.leaks",
    "tests.fixtures.functions",
]
