"""Release versions: Semantic Versioning 2.0.0 (semver.org), parsed strictly, ordered by its precedence
rules (numeric fields in order; a pre-release sorts below its release; pre-release identifiers compare
numerically when both are numbers, else as ASCII text, and numbers sort below text; build metadata is
ignored)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.errors import InvalidInput

MAX_LENGTH = 64
_NUMBER = r"0|[1-9][0-9]*"
_PRE_ID = r"0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*"
_PATTERN = re.compile(
    rf"(?P<major>{_NUMBER})\.(?P<minor>{_NUMBER})\.(?P<patch>{_NUMBER})"
    rf"(?:-(?P<pre>(?:{_PRE_ID})(?:\.(?:{_PRE_ID}))*))?"
    r"(?:\+(?P<build>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
)

PreKey = tuple[tuple[int, int, str], ...]


@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int
    pre: tuple[str, ...] = ()
    build: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.pre:
            text += "-" + ".".join(self.pre)
        return text + ("+" + ".".join(self.build) if self.build else "")

    @property
    def precedence(self) -> tuple[int, int, int, int, PreKey]:
        """A sort key: versions compare as SemVer precedence says (build metadata plays no part)."""
        pre = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.pre)
        return (self.major, self.minor, self.patch, 0 if self.pre else 1, pre)

    @property
    def core(self) -> str:
        """The version without build metadata: two releases differing only there are the same release."""
        return str(Version(self.major, self.minor, self.patch, self.pre))


def parse_version(text: str) -> Version:
    """``text`` as a SemVer version, or ``InvalidInput``."""
    found = _PATTERN.fullmatch(text) if isinstance(text, str) and len(text) <= MAX_LENGTH else None
    if found is None:
        raise InvalidInput("version", f"a Semantic Version such as 1.4.0 or 2.0.0-beta.1 (≤ {MAX_LENGTH})")
    pre, build = found["pre"], found["build"]
    return Version(
        int(found["major"]),
        int(found["minor"]),
        int(found["patch"]),
        tuple(pre.split(".")) if pre else (),
        tuple(build.split(".")) if build else (),
    )
