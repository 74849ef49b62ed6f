"""JSON output is json.dumps(indent=2) byte for byte, whatever the document holds."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from planner.cli.output import dump

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(), inner, max_size=4)
    ),
    max_leaves=30,
)


@given(st.dictionaries(st.text(), DOCUMENTS, max_size=5))
def test_json_is_the_json_module_indented(data: dict[str, Any]) -> None:
    assert dump(data, "json") == json.dumps(data, indent=2) + "\n"


def test_values_only_the_json_module_writes() -> None:
    class Number(int):
        pass

    data: dict[str, Any] = {"k": {1: Number(3), None: [True, 1.5, "é\x00"]}}
    assert dump(data, "json") == json.dumps(data, indent=2) + "\n"


@given(
    st.dictionaries(st.text(), DOCUMENTS, max_size=4), st.lists(DOCUMENTS, max_size=4), DOCUMENTS
)
def test_a_document_in_pieces_is_the_json_module_indented(
    head: dict[str, Any], items: list[Any], shared: Any
) -> None:
    """Written an item at a time, with one object met again at other depths (the values a
    node group's entries share), the pieces are json.dumps(indent=2) of the whole."""
    from planner.report import data

    items = [*items, shared, {"again": shared, "deeper": [shared]}, [shared]]
    for at in range(len(head) + 1):  # the long list first, last, or between other keys
        keys = list(head)
        document = {k: head[k] for k in keys[:at]} | {"\x00items": data._LATER}
        document |= {k: head[k] for k in keys[at:]}
        whole = {k: (items if v is data._LATER else v) for k, v in document.items()}
        written = "".join(data._pieces(document, iter(items)))
        assert written == json.dumps(whole, indent=2) + "\n"


# what str.isprintable accepts (a space, no other separator): a document with anything
# else is written with escapes, each piece on its own (test below)
PRINTABLE = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Cf", "Zl", "Zp", "Zs", "Co", "Cn"),
        whitelist_characters=" ",
    )
)
YAML_DOCUMENTS = st.recursive(
    st.none() | st.booleans() | st.integers() | PRINTABLE,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(PRINTABLE, inner, max_size=3),
    max_leaves=20,
)


@given(
    st.dictionaries(PRINTABLE, YAML_DOCUMENTS, max_size=3),
    st.lists(YAML_DOCUMENTS, max_size=3),
    YAML_DOCUMENTS,
)
def test_a_yaml_document_in_pieces_is_the_whole_document(
    head: dict[str, Any], items: list[Any], shared: Any
) -> None:
    """Written an item at a time, YAML is the whole document's text (a block mapping is its
    entries in turn, a sequence under a key its items), with no anchors for shared values."""
    from planner.report import data

    items = [*items, shared, {"again": shared}]
    for at in range(len(head) + 1):
        keys = list(head)
        document = {k: head[k] for k in keys[:at]} | {"items\x00": data._LATER}
        document |= {k: head[k] for k in keys[at:]}
        whole = {k: (items if v is data._LATER else v) for k, v in document.items()}
        written = "".join(data._yaml_pieces(document, iter(items)))
        assert written == data._yaml(whole)
        assert "&id" not in written


def test_a_yaml_piece_with_a_character_to_escape_is_escaped_alone() -> None:
    """A bidi control in one item: that item's piece is written with escapes, the others
    raw; nothing unprintable is written, and the document reads back as the data."""
    import yaml

    from planner.report import data

    items = [{"name": "caf\u00e9"}, {"name": "evil\u202ename"}, {"name": "\u00fcber"}]
    pieces = list(data._yaml_pieces({"items": data._LATER, "n": 3}, iter(items)))
    written = "".join(pieces)
    assert written.replace("\n", "").isprintable()
    assert "café" in written and "über" in written and "\\u202E" in written
    assert yaml.safe_load(written) == {"items": items, "n": 3}
