"""Maintainer's tool: ``python -m tests.ui.write_catalogues KO.tsv`` rewrites both .po files from the
extracted strings (English as written; Korean from the tab-separated file or the current catalogue)."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from api.ui.i18n import CATALOGUES
from tests.ui.messages import extracted


def current(locale: str) -> dict[str, str]:
    with (CATALOGUES / f"{locale}.po").open("rb") as po:
        return {str(m.id): str(m.string) for m in read_po(po) if m.id and m.string}


def write(locale: str, strings: dict[str, str]) -> None:
    catalog = Catalog(locale=locale, project="Keyledger", version="0.1.0", fuzzy=False)
    for message, origin in extracted().items():
        catalog.add(message, strings.get(message, ""), locations=[(origin, 0)])
    with (CATALOGUES / f"{locale}.po").open("wb") as po:
        write_po(po, catalog, omit_header=False, no_location=True, width=110)


def main(args: list[str]) -> None:
    korean = current("ko")
    for path in args:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
        korean.update(dict(line.split("\t", 1) for line in lines if "\t" in line))
    write("ko", korean)
    write("en", {message: message for message in extracted()})


if __name__ == "__main__":
    main(sys.argv[1:])
