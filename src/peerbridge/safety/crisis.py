"""Crisis resources as a programme writes them (one per line: who to call and how) made
into lines a phone can dial: pure functions, no Django."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A phone number inside a line: digits with spaces, dots, dashes or brackets between
# them, an optional leading +; at least three digits (988, 999, 111, 116 123).
_NUMBER = re.compile(r"\+?\(?\d[\d\s().-]*\d|\b\d{3}\b")
MIN_DIGITS = 3
MAX_DIGITS = 15  # the longest an international number may be (E.164)


@dataclass(frozen=True)
class CrisisLine:
    """One resource: the text around the number, the number as written, and the
    number to dial (`tel` empty when the line has no number, e.g. a web address)."""

    before: str
    number: str
    after: str
    tel: str

    @property
    def text(self) -> str:
        return f"{self.before}{self.number}{self.after}"


def _dialable(number: str) -> str:
    digits = re.sub(r"\D", "", number)
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        return ""
    return ("+" if number.startswith("+") else "") + digits


def crisis_line(text: str) -> CrisisLine:
    """The first dialable number of a line, with the words around it."""
    for found in _NUMBER.finditer(text):
        number = found.group(0).strip()
        tel = _dialable(number)
        if tel:
            start = text.index(number, found.start())
            return CrisisLine(text[:start], number, text[start + len(number) :], tel)
    return CrisisLine(text, "", "", "")


def crisis_lines(resources: str) -> list[CrisisLine]:
    """Each non-empty line of the programme's crisis resources."""
    return [crisis_line(line.strip()) for line in resources.splitlines() if line.strip()]
