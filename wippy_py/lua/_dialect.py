"""Strip Wippy's Luau-like type layer so that stock Lua 5.5 can compile a script.

Wippy scripts are Lua 5.x plus optional type annotations, e.g.
``local function f(job: Job, ch: Channel<Msg>): (boolean, string?)`` or ``x as Event``.
:func:`strip_types` removes that layer by overwriting every annotation character with a
space. Newlines are never touched, so line numbers (and columns) in Lua error messages and
tracebacks still point at the original source. Code that is plain Lua comes out
byte-identical.

The module is a token-level recogniser for the places where an annotation can appear
(function headers, ``local``/``global``/``for`` name lists, ``type`` statements,
``as``/``::`` casts) and a recursive skipper for the type grammar. The tokenizer it runs
on is :mod:`wippy_py.lua._dialect_lexer`.
"""

from __future__ import annotations

import re

from ._dialect_lexer import Token, at_statement_start, ends_expression, tokenize

__all__ = ["DialectError", "strip_types"]


class DialectError(ValueError):
    """An annotation that looks like a type but cannot be parsed as one.

    Attributes:
        line: 1-based line number of the offending token.
    """

    def __init__(self, line: int, detail: str) -> None:
        super().__init__(f"line {line}: cannot parse type annotation: {detail}")
        self.line = line


_BLANK_RE = re.compile(r"[^\r\n]")
_CLOSERS = {"(": ")", "{": "}", "[": "]"}
_ATTRIBS = frozenset({"const", "close"})


class _Stripper:
    """Walks the token list once and records the character spans to blank out."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.toks = tokenize(source)
        self.spans: list[tuple[int, int]] = []
        self.end = 0  # end offset of the last token consumed by the type skipper
        self.prev: Token | None = None  # last significant token that survives

    # -- helpers -------------------------------------------------------------------------

    def _op(self, i: int) -> str:
        """Return the text of token ``i`` if it is an operator, else ``""``."""
        tok = self.toks[i]
        return tok[1] if tok[0] == "op" else ""

    def _is_name(self, i: int) -> bool:
        return self.toks[i][0] == "name"

    def _take(self, i: int) -> int:
        self.end = self.toks[i][3]
        return i + 1

    def _fail(self, i: int, detail: str) -> DialectError:
        tok = self.toks[i]
        line = self.source.count("\n", 0, tok[2]) + 1
        shown = repr(tok[1]) if tok[0] != "eof" else "end of file"
        return DialectError(line, f"{detail} at {shown}")

    def _blank_type(self, start: int, i: int) -> int:
        """Skip the type at ``i`` and blank everything from ``start`` to its end."""
        i = self._type(i)
        self.spans.append((start, self.end))
        return i

    # -- type grammar ----------------------------------------------------------------------

    def _starts_type(self, i: int) -> bool:
        kind, text = self.toks[i][0], self.toks[i][1]
        if kind == "kw":
            return text in ("nil", "true", "false")
        return kind in ("name", "str") or (kind == "op" and text in ("{", "(", "<", "..."))

    def _type(self, i: int) -> int:
        """Skip a union/intersection type starting at token ``i``."""
        if self._op(i) in ("|", "&"):
            i = self._take(i)
        i = self._simple_type(i)
        while self._op(i) in ("|", "&"):
            i = self._simple_type(self._take(i))
        return i

    def _simple_type(self, i: int) -> int:
        kind, text = self.toks[i][0], self.toks[i][1]
        op = text if kind == "op" else ""
        if op == "...":
            i = self._take(i)
            if self._starts_type(i) and self._op(i) != "...":
                i = self._simple_type(i)
        elif kind == "name" or (kind == "kw" and text in ("nil", "true", "false")):
            if text == "typeof" and self._op(i + 1) == "(":
                i = self._balanced(i + 1)
            else:
                i = self._take(i)
                while self._op(i) == "." and self._is_name(i + 1):
                    i = self._take(self._take(i))
                if self._op(i) == "<" and not self._is_attrib(i):
                    i = self._generic_args(i)
                if self._op(i) == "...":  # generic type pack `T...`
                    i = self._take(i)
        elif kind == "str":
            i = self._take(i)
        elif op == "{":
            i = self._balanced(i)
        elif op == "(":
            i = self._balanced(i)
            if self._op(i) == "->":
                i = self._type(self._take(i))
        elif op == "<":
            i = self._generic_params(i)
            if self._op(i) != "(":
                raise self._fail(i, "expected '(' after generic parameters")
            i = self._balanced(i)
            if self._op(i) != "->":
                raise self._fail(i, "expected '->' in generic function type")
            i = self._type(self._take(i))
        else:
            raise self._fail(i, "expected a type")
        while self._op(i) == "?":
            i = self._take(i)
        return i

    def _is_attrib(self, i: int) -> bool:
        """Tell whether ``<`` at ``i`` opens a Lua 5.4 ``<const>``/``<close>`` attrib."""
        return self._op(i) == "<" and self.toks[i + 1][1] in _ATTRIBS and self._op(i + 2) == ">"

    def _balanced(self, i: int) -> int:
        """Skip a bracketed group ``(...)``, ``{...}`` or ``[...]`` starting at ``i``."""
        stack: list[tuple[str, int]] = []  # (expected closer, index of the opener)
        while True:
            kind, text = self.toks[i][0], self.toks[i][1]
            if kind == "eof":
                raise self._fail(stack[-1][1], "unclosed bracket")
            if kind == "op":
                if text in _CLOSERS:
                    stack.append((_CLOSERS[text], i))
                elif text in (")", "}", "]") and (not stack or stack.pop()[0] != text):
                    raise self._fail(i, "mismatched bracket")
            i = self._take(i)
            if not stack:
                return i

    def _close_angle(self, i: int) -> int:
        """Consume one ``>``; ``>>`` and ``>=`` are split and their rest is left in place."""
        kind, text, start, end = self.toks[i]
        if kind == "op" and text == ">":
            return self._take(i)
        if kind == "op" and text in (">>", ">="):
            self.toks[i] = ("op", text[1:], start + 1, end)
            self.end = start + 1
            return i
        raise self._fail(i, "expected '>'")

    def _generic_args(self, i: int) -> int:
        """Skip ``<T, U>`` after a type name."""
        i = self._take(i)
        if self._op(i) in (">", ">>", ">="):
            return self._close_angle(i)
        while True:
            i = self._type(i)
            if self._op(i) != ",":
                return self._close_angle(i)
            i = self._take(i)

    def _generic_params(self, i: int) -> int:
        """Skip ``<T, U..., V = default>`` on a function or type declaration."""
        i = self._take(i)
        while self._is_name(i):
            i = self._take(i)
            if self._op(i) == "...":
                i = self._take(i)
            if self._op(i) == "=":
                i = self._type(self._take(i))
            if self._op(i) != ",":
                break
            i = self._take(i)
        return self._close_angle(i)

    # -- statements ------------------------------------------------------------------------

    def _function(self, i: int) -> int:
        """Handle a function header: generics, parameter and return annotations."""
        toks = self.toks
        j = i + 1
        if self._is_name(j):
            j += 1
            while self._op(j) == "." and self._is_name(j + 1):
                j += 2
            if self._op(j) == ":" and self._is_name(j + 1):
                j += 2
        if self._op(j) == "<":
            start = toks[j][2]
            j = self._generic_params(j)
            self.spans.append((start, self.end))
        if self._op(j) != "(":
            self.prev = toks[j - 1]
            return j
        j += 1
        while self._is_name(j) or self._op(j) == "...":
            j += 1
            if self._op(j) == ":":
                j = self._blank_type(toks[j][2], j + 1)
            if self._op(j) != ",":
                break
            j += 1
        if self._op(j) != ")":
            self.prev = toks[j - 1]
            return j
        self.prev = toks[j]
        j += 1
        if self._op(j) == ":":
            j = self._blank_type(toks[j][2], j + 1)
        return j

    def _names(self, i: int, attribs: bool) -> int:
        """Handle the name list of ``local``/``global``/``for`` starting after the keyword."""
        toks = self.toks
        j = i
        if attribs and self._is_attrib(j):
            j += 3
        while self._is_name(j):
            self.prev = toks[j]
            j += 1
            if self._op(j) == ":":
                j = self._blank_type(toks[j][2], j + 1)
            if attribs and self._is_attrib(j):
                j += 3
            if self._op(j) != ",":
                break
            j += 1
        return j

    def _type_statement(self, i: int) -> int:
        """Blank a whole ``[export] type Name[<T>] = type`` statement."""
        start = self.toks[i][2]
        j = i + 1 if self.toks[i][1] == "type" else i + 2
        j += 1
        if self._op(j) == "<":
            j = self._generic_params(j)
        if self._op(j) != "=":
            raise self._fail(j, "expected '=' in type declaration")
        j = self._type(self._take(j))
        self.spans.append((start, self.end))
        return j

    def _is_type_statement(self, i: int) -> bool:
        toks = self.toks
        if not at_statement_start(self.prev):
            return False
        if toks[i][1] == "export":
            if toks[i + 1][:2] != ("name", "type"):
                return False
            i += 1
        return self._is_name(i + 1) and self._op(i + 2) in ("=", "<")

    def _is_global_statement(self, i: int) -> bool:
        """Tell whether ``global`` at ``i`` starts a Lua 5.5 ``global`` declaration."""
        return at_statement_start(self.prev) and (self._is_name(i + 1) or self._op(i + 1) == "<")

    def _is_as_cast(self, i: int) -> bool:
        if not ends_expression(self.prev) or not self._starts_type(i + 1):
            return False
        assert self.prev is not None
        nxt = self.toks[i + 1]
        if nxt[1] in ("(", "{") or nxt[0] == "str":
            # `f()\nas(x)` is a call statement on a variable named `as`.
            return "\n" not in self.source[self.prev[3] : self.toks[i][2]]
        return True

    def run(self) -> str:
        """Scan the whole source and return it with annotations blanked out."""
        toks = self.toks
        i = 0
        while toks[i][0] != "eof":
            kind, text = toks[i][0], toks[i][1]
            if kind == "kw" and text == "function":
                i = self._function(i)
            elif kind == "kw" and text in ("local", "for"):
                self.prev = toks[i]
                if toks[i + 1][1] == "function":
                    i += 1
                else:
                    i = self._names(i + 1, attribs=text == "local")
            elif kind == "name" and text == "global" and self._is_global_statement(i):
                self.prev = toks[i]
                i = self._names(i + 1, attribs=True)
            elif kind == "name" and text in ("type", "export") and self._is_type_statement(i):
                i = self._type_statement(i)
            elif kind == "name" and text == "as" and self._is_as_cast(i):
                i = self._blank_type(toks[i][2], i + 1)
            elif kind == "op" and text == "::":
                if self._is_name(i + 1) and self._op(i + 2) == "::":  # goto label
                    self.prev = toks[i + 2]
                    i += 3
                elif ends_expression(self.prev):
                    i = self._blank_type(toks[i][2], i + 1)
                else:
                    self.prev = toks[i]
                    i += 1
            else:
                self.prev = toks[i]
                i += 1
        return self._render()

    def _render(self) -> str:
        if not self.spans:
            return self.source
        src = self.source
        out: list[str] = []
        pos = 0
        for start, end in self.spans:  # recorded in source order, never overlapping
            out.append(src[pos:start])
            out.append(_BLANK_RE.sub(" ", src[start:end]))
            pos = end
        out.append(src[pos:])
        return "".join(out)


def strip_types(source: str) -> str:
    """Remove Wippy's type annotations from Lua source, keeping lines and columns.

    Every character of an annotation (except newlines) is replaced with a space, so the
    result has the same length and the same line breaks as the input. Plain Lua 5.4/5.5
    source is returned unchanged.

    Args:
        source: Lua source in Wippy's dialect (Lua plus a Luau-like type layer).

    Returns:
        Source that stock Lua 5.5 can compile.

    Raises:
        DialectError: An annotation was recognised but its type cannot be parsed, for
            example because of unbalanced brackets.
    """
    return _Stripper(source).run()
