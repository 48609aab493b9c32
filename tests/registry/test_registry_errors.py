"""Bad input: every problem names the file, the line, the entry and the field."""

from __future__ import annotations

import pytest
from registry_helpers import Problems, WriteTree, assert_at, only

from wippy_py.errors import RegistryError, WippyError
from wippy_py.registry import Registry, RegistryLoadError, load_registry

# --- file level -------------------------------------------------------------------------


def test_malformed_yaml_names_file_and_line(problems: Problems) -> None:
    problem = only(
        problems({"sub/bad.yaml": "namespace: app\nentries:\n  - name: x\n    kind: [oops\n"})
    )
    assert problem.location.file == "sub/bad.yaml"
    assert problem.location.line is not None and problem.location.line >= 4
    assert "malformed YAML" in str(problem)
    assert str(problem).startswith("sub/bad.yaml:")


def test_bad_indentation(problems: Problems) -> None:
    problem = only(problems({"a.yaml": "namespace: app\nentries:\n  - name: x\n   kind: y\n"}))
    assert problem.location.file == "a.yaml"
    assert problem.location.line == 4
    assert "malformed YAML" in str(problem)


def test_duplicate_yaml_key(problems: Problems) -> None:
    problem = only(problems({"a.yaml": "namespace: app\nname: x\nkind: registry.entry\nname: y\n"}))
    assert problem.location.line == 4
    assert "duplicate key 'name' (first at line 2)" in str(problem)


def test_unknown_yaml_tag(problems: Problems) -> None:
    text = "namespace: app\nname: x\nkind: registry.entry\nv: !env X\n"
    problem = only(problems({"a.yaml": text}))
    assert problem.location.line == 4
    assert "malformed YAML" in str(problem)


def test_several_documents_in_one_file(problems: Problems) -> None:
    problem = only(problems({"a.yaml": "namespace: a\nname: x\nkind: registry.entry\n---\nb: 1\n"}))
    assert problem.location.file == "a.yaml"
    assert "single document" in str(problem)


def test_recursive_alias(problems: Problems) -> None:
    problem = only(
        problems({"a.yaml": "namespace: app\nname: x\nkind: registry.entry\nloop: &a [*a]\n"})
    )
    assert "recursive alias" in str(problem)
    assert problem.location.line == 4


def test_yaml_file_that_is_not_utf8(problems: Problems) -> None:
    problem = only(problems({"a.yaml": b"namespace: app\nname: \xff\xfe\nkind: registry.entry\n"}))
    assert problem.location.file == "a.yaml"
    assert "not valid UTF-8" in str(problem)


def test_entries_without_namespace_are_skipped_not_errors(problems: Problems) -> None:
    assert problems({"a.yaml": "entries:\n  - {name: x, kind: function.lua}\n"}) == []


def test_namespace_without_entries(problems: Problems) -> None:
    problem = only(problems({"a.yaml": "version: '1.0'\nnamespace: app\nsomething: 1\n"}))
    assert problem.location.file == "a.yaml"
    assert problem.location.line == 1
    assert "neither 'entries' nor a top-level 'name' and 'kind'" in str(problem)


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        ("namespace: 5\nname: x\nkind: k\n", 1, "namespace", "namespace must be a string"),
        ("namespace: 'a:b'\nname: x\nkind: k\n", 1, "namespace", "no colons or spaces"),
        ("namespace: app\nentries: {name: x}\n", 2, "entries", "must be a list"),
        ("namespace: app\nmeta: [1]\nentries: []\n", 2, "meta", "file-level 'meta' must be"),
    ],
)
def test_bad_file_structure(
    problems: Problems, text: str, line: int, field: str, message: str
) -> None:
    problem = only(problems({"a.yaml": text}))
    assert_at(problem, "a.yaml", line, "", field)
    assert message in str(problem)


@pytest.mark.parametrize(
    ("item", "field", "message"),
    [
        ("{kind: function.lua}", "entries[0].name", "entry 'name' is missing"),
        ("{name: x}", "kind", "entry 'kind' is missing"),
        ("{name: '  ', kind: k}", "entries[0].name", "blank or not a string"),
        ("{name: x, kind: 3}", "kind", "entry 'kind' is blank or not a string"),
        ("{name: x, kind: k, meta: 1}", "meta", "'meta' must be a mapping"),
        ("just a string", "entries[0]", "an entry must be a mapping"),
    ],
)
def test_bad_entry_structure(problems: Problems, item: str, field: str, message: str) -> None:
    problem = only(problems({"a.yaml": f"namespace: app\nentries:\n  - {item}\n"}))
    assert problem.location.file == "a.yaml"
    assert problem.location.line == 3
    assert problem.location.field == field
    assert message in str(problem)


def test_duplicate_ids_name_both_locations(problems: Problems) -> None:
    found = problems(
        {
            "a.yaml": "namespace: app\nentries:\n  - {name: x, kind: registry.entry}\n",
            "b/c.yaml": "namespace: app\n\nname: x\nkind: registry.entry\n",
            "d.yaml": "namespace: app\nentries:\n  - {name: y, kind: registry.entry}\n"
            "  - {name: y, kind: registry.entry}\n",
        }
    )
    assert len(found) == 2
    across, within = found
    assert_at(across, "b/c.yaml", 1, "app:x", "name")
    assert "duplicate entry ID app:x; first defined at a.yaml:3" in str(across)
    assert_at(within, "d.yaml", 4, "app:y", "name")
    assert "first defined at d.yaml:3" in str(within)


# --- file:// ---------------------------------------------------------------------------

FILE_REF = "namespace: app\nentries:\n  - name: f\n    kind: library.lua\n    source: {ref}\n"


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("file://missing.lua", "file://missing.lua: file not found: lua/missing.lua"),
        ("file:///nowhere/x.lua", "file not found: nowhere/x.lua"),
        ("file://../../outside.lua", "path escapes the registry root"),
        ("file:///../etc/passwd", "path escapes the registry root"),
        ("file://", "empty path in file:// reference"),
        ("file:///", "empty path in file:// reference"),
        ("file://.", "is a directory"),
        ("file://latin1.lua", "file://latin1.lua: lua/latin1.lua is not valid UTF-8"),
    ],
)
def test_bad_file_references(problems: Problems, ref: str, message: str) -> None:
    found = problems(
        {"lua/_index.yaml": FILE_REF.format(ref=ref), "lua/latin1.lua": b"-- caf\xe9\n"}
    )
    problem = only(found)
    assert_at(problem, "lua/_index.yaml", 5, "app:f", "source")
    assert message in str(problem)


def test_bad_file_reference_in_file_level_meta(problems: Problems) -> None:
    problem = only(
        problems({"a.yaml": "namespace: app\nmeta:\n  doc: file://no.md\nentries: []\n"})
    )
    assert_at(problem, "a.yaml", 3, "", "meta.doc")
    assert "file not found: no.md" in str(problem)


def test_bad_file_reference_under_data_key(problems: Problems) -> None:
    problem = only(
        problems(
            {
                "a.yaml": "namespace: app\nentries:\n  - name: c\n    kind: registry.entry\n"
                "    data:\n      text: file://no.txt\n"
            }
        )
    )
    assert_at(problem, "a.yaml", 6, "app:c", "text")


# --- strict mode ------------------------------------------------------------------------


def test_strict_load_lists_every_problem(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "a.yaml": "namespace: app\nentries:\n  - {name: f, kind: function.lua}\n",
            "b.yaml": "namespace: app\nentries: [\n",
            "c.yaml": "namespace: app\nname: s\nkind: process.service\nprocess: p\nhost: h\n",
        }
    )
    with pytest.raises(RegistryLoadError) as info:
        load_registry(root)
    error = info.value
    assert isinstance(error, RegistryError) and isinstance(error, WippyError)
    lines = str(error).splitlines()
    assert lines[0].startswith("5 problems in registry")
    assert len(lines) == 1 + len(error.problems) == 6
    body = "\n".join(lines[1:])
    assert "a.yaml:3, entry app:f, field 'source': missing required field 'source'" in body
    assert "a.yaml:3, entry app:f, field 'method'" in body
    assert "b.yaml:3: malformed YAML" in body
    assert "c.yaml:5, entry app:s, field 'host': host must be a full ID" in body
    assert "c.yaml:4, entry app:s, field 'process': 'process' refers to app:p" in body


def test_lenient_load_returns_entries_and_problems(write_tree: WriteTree) -> None:
    root = write_tree({"a.yaml": "namespace: app\nentries:\n  - {name: f, kind: function.lua}\n"})
    registry: Registry = load_registry(root, strict=False)
    assert not registry.ok
    assert [p.location.field for p in registry.problems] == ["source", "method"]
    assert "app:f" in registry  # kept, so references to it do not cascade
