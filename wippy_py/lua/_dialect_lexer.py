"""The Lua tokenizer behind :mod:`wippy_py.lua._dialect`.

:func:`tokenize` splits Lua 5.x source (plus the type layer's extra operators ``->`` and
``?``) into :data:`Token` tuples carrying their source offsets, dropping whitespace and
comments; malformed input is passed through as ``bad`` tokens for Lua to report.
:func:`ends_expression` and :func:`at_statement_start` classify a token for the type
stripper, which needs to know where expressions end and statements begin.
"""

from __future__ import annotations

import re

__all__ = ["Token", "at_statement_start", "ends_expression", "tokenize"]

_KEYWORDS = frozenset(
    {
        "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto",
        "if", "in", "local", "nil", "not", "or", "repeat", "return", "then", "true",
        "until", "while",
    }
)  # fmt: skip

# One token per match. Whitespace and comments are matched (and then dropped) so that the
# scanner never has to look at single characters in Python.
_TOKEN_RE = re.compile(
    r"""
    (?P<ws>[ \t\r\n\f\v]+)
  | (?P<comment>--(?:\[(?P<ceq>=*)\[[\s\S]*?\](?P=ceq)\]|\[=*\[[\s\S]*|[^\r\n]*))
  | (?P<str>
        "(?:[^"\\\r\n]|\\(?:z\s*|\r\n?|\n\r?|[\s\S]))*"
      | '(?:[^'\\\r\n]|\\(?:z\s*|\r\n?|\n\r?|[\s\S]))*'
      | \[(?P<seq>=*)\[[\s\S]*?\](?P=seq)\]
      | \[=*\[[\s\S]*  # unfinished long string: let Lua report it
    )
  | (?P<num>
        0[xX](?:[pP][+-]?|[0-9a-fA-F.])*
      | (?:[0-9]|\.[0-9])(?:[eE][+-]?|[0-9.])*
    )
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\.\.\.|\.\.|::|->|<<|>>|//|==|~=|<=|>=|[-+*/%^\#&~|<>=(){}\[\];:,.?])
  | (?P<bad>["'][^\r\n]*|[\s\S])
    """,
    re.VERBOSE,
)

Token = tuple[str, str, int, int]
"""A token: (kind, text, start offset, end offset).

Kinds: ``name``, ``kw`` (a Lua keyword), ``str``, ``num``, ``op``, ``bad`` (a character
Lua would reject, left for Lua to report) and ``eof``.
"""

_BLOCK_KEYWORDS = frozenset({"do", "then", "else", "end", "repeat", "break"})
_EXPR_END = frozenset({"nil", "true", "false", ")", "]", "}", "..."})


def tokenize(source: str) -> list[Token]:
    """Split Lua source into tokens, dropping whitespace and comments.

    Args:
        source: Lua source text.

    Returns:
        The tokens in order, terminated by an ``eof`` token.
    """
    tokens: list[Token] = []
    pos = 0
    if source.startswith("#"):  # shebang line, skipped by Lua's file loader
        nl = source.find("\n")
        pos = len(source) if nl < 0 else nl
    match = _TOKEN_RE.match
    append = tokens.append
    end = len(source)
    while pos < end:
        m = match(source, pos)
        assert m is not None  # the "bad" alternative matches any character
        kind = m.lastgroup or "bad"  # the outermost group, never "ceq"/"seq"
        new = m.end()
        if kind == "name":
            text = m.group()
            append(("kw" if text in _KEYWORDS else "name", text, pos, new))
        elif kind != "ws" and kind != "comment":
            append((kind, m.group(), pos, new))
        pos = new
    append(("eof", "", end, end))
    return tokens


def ends_expression(tok: Token | None) -> bool:
    """Tell whether a token can be the last token of an expression."""
    if tok is None:
        return False
    kind, text = tok[0], tok[1]
    return kind in ("name", "str", "num") or (text in _EXPR_END and kind in ("kw", "op"))


def at_statement_start(tok: Token | None) -> bool:
    """Tell whether a token after ``tok`` must begin a new statement."""
    if tok is None or ends_expression(tok):
        return True
    return tok[1] in _BLOCK_KEYWORDS or tok[1] in (";", "::")
