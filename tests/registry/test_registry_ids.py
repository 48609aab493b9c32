"""EntryId parsing and formatting."""

from __future__ import annotations

import pytest

from wippy_py.registry import EntryId


def test_parse_splits_at_first_colon() -> None:
    entry_id = EntryId.parse("app:http:handler")
    assert entry_id == EntryId("app", "http:handler")
    assert str(entry_id) == "app:http:handler"


def test_parse_full_id_ignores_default_namespace() -> None:
    assert EntryId.parse("app.api:get_user", default_ns="other") == EntryId("app.api", "get_user")


def test_relative_name_gets_default_namespace() -> None:
    assert EntryId.parse("worker", default_ns="app") == EntryId("app", "worker")


def test_relative_name_without_default_stays_relative() -> None:
    entry_id = EntryId.parse("worker")
    assert entry_id.is_relative
    assert str(entry_id) == "worker"


@pytest.mark.parametrize("text", ["", "   ", ":name", "app:", " app:x"])
def test_parse_rejects_malformed_ids(text: str) -> None:
    with pytest.raises(ValueError):
        EntryId.parse(text)


def test_parse_rejects_non_strings() -> None:
    with pytest.raises(ValueError, match="must be a string"):
        EntryId.parse(42)  # type: ignore[arg-type]


def test_ids_are_hashable_and_ordered() -> None:
    ids = {EntryId("b", "x"), EntryId("a", "y"), EntryId("a", "y")}
    assert sorted(ids) == [EntryId("a", "y"), EntryId("b", "x")]
