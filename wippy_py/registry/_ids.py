"""Entry IDs: ``namespace:name``, split at the first colon as Wippy does."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class EntryId:
    """The identity of a registry entry.

    Attributes:
        namespace: Dot-separated namespace (``app``, ``app.api``); empty for a relative name.
        name: The entry name inside the namespace; it may itself contain colons.
    """

    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}:{self.name}" if self.namespace else self.name

    @property
    def is_relative(self) -> bool:
        """True when the ID has no namespace yet (a bare name)."""
        return not self.namespace

    @classmethod
    def parse(cls, text: str, default_ns: str = "") -> EntryId:
        """Parses ``ns:name``, splitting at the first colon.

        ``app:http:handler`` is namespace ``app``, name ``http:handler``. A text without a
        colon is a relative name and gets ``default_ns``.

        Args:
            text: The ID as written by the user.
            default_ns: The namespace given to a relative name.

        Returns:
            The parsed ID (still relative when there is no colon and no default).

        Raises:
            ValueError: the text is not a string, is blank, or has an empty part around
                the colon.
        """
        if not isinstance(text, str):
            raise ValueError(f"an entry ID must be a string, got {type(text).__name__}")
        if not text.strip():
            raise ValueError("an entry ID must not be empty")
        if text != text.strip():
            raise ValueError(f"entry ID {text!r} has leading or trailing spaces")
        namespace, sep, name = text.partition(":")
        if not sep:
            return cls(default_ns, text)
        if not namespace or not name:
            raise ValueError(f"entry ID {text!r} must look like namespace:name")
        return cls(namespace, name)
