"""Every ``seeds/FILE:LINE`` citation in data/ points at a line that says what the note cites.

The seed documents (the BCF plans the demo figures come from) live in the
project's shared folder, beside the repository; a clone of the app has none, so
the checks skip there.

A citation looks like ``(… seeds/000_x.txt:853)``, ``seeds/000_x.txt:329-333``
or ``seeds/000_x.txt:126, :176`` (several lines of one file). What it is cited
*for* (its claim) is the text inside its parentheses before it where there is
some (``('nearly all patients are step down', seeds/…)``), else the clause
before the parenthesis back to the previous ``;``, ``)`` or sentence end, plus
the explanation after it when a colon follows (``Method as stated (seeds/…):
commissioned hours ÷ …``).

The rules:

1. every cited line exists; a single line, and the first and last line of a
   range, is neither blank nor a heading (under ten words and no full stop),
   since a plan's figures sit in sentences and table rows, not in titles;
2. every figure in the claim appears on the cited lines (thousands separators
   and a ``£`` allowed; planning years such as 2022/23 are dates, not figures),
   except the few that the note itself gives as the model's own assumptions,
   listed in :data:`ASSUMED` with the reason;
3. at least one of the claim's words (four letters or more, less common words)
   appears on the cited lines, so a citation cannot drift to an unrelated line
   (except where the claim is that a figure is *not stated*: the cited line
   describes the service and, rightly, lacks it);
4. a place's population aged 65+ appears on the lines its note cites.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass

import pytest

from capacity import config

SEEDS = config.PROJECT_ROOT.parent / "shared" / "seeds"
DATA = config.PROJECT_ROOT / "data"

pytestmark = pytest.mark.skipif(
    not SEEDS.is_dir(),
    reason=f"{SEEDS} is absent: the seed documents are in the project's shared folder, "
    "not in a clone of the app",
)

CITATION = re.compile(r"seeds/(?P<file>[\w.-]+\.txt):(?P<spans>\d+(?:-\d+)?(?:,\s*:\d+(?:-\d+)?)*)")
SPAN = re.compile(r"(\d+)(?:-(\d+))?")
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
YEAR = re.compile(r"\b(?:19|20)\d{2}(?:/\d{2,4}|-\d{2,4})?\b|\b\d{2}/\d{2}\b")
WORD = re.compile(r"[a-z]{4,}")
COMMON_WORDS = {
    "assumption",
    "about",
    "that",
    "with",
    "from",
    "this",
    "which",
    "have",
    "their",
    "used",
    "stated",
    "figures",
    "figure",
    "given",
    "taken",
    "those",
    "into",
    "each",
    "over",
    "more",
}
# Figures in a claim that are the model's own choice, not the source's (file, figure): reason.
ASSUMED = {
    ("referral_levels.csv", "28"): "the 28-day stay of the rehab beds is an assumption "
    "(their parameter rows say 'LoS of 28 days is an assumption'); "
    "the 54 beds beside it is the stated figure",
}


@dataclass(frozen=True)
class Citation:
    """One citation in one cell: where it is, which lines it names and what it is cited for."""

    csv_name: str
    row: int
    seed: str
    spans: tuple[tuple[int, int], ...]
    claim: str

    def __str__(self) -> str:
        lines = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in self.spans)
        return f"{self.csv_name} row {self.row}: {self.seed}:{lines} for {self.claim!r}"


def claim_of(cell: str, start: int, end: int) -> str:
    """What the citation at ``cell[start:end]`` is cited for (see the module docstring)."""
    opening = cell.rfind("(", 0, start)
    if opening == -1 or ")" in cell[opening:start]:
        opening = start
    inner = cell[opening + 1 : start].strip(" ,;")
    if inner:
        return inner
    before = cell[:opening]
    cut = max(before.rfind(";"), before.rfind(")"), before.rfind(". "))
    claim = before[cut + 1 :].strip()
    after = cell[end:].lstrip(")")
    if after.startswith(":"):
        claim += " " + re.split(r"[.;]", after[1:], maxsplit=1)[0]
    return claim


def citations() -> list[Citation]:
    """Every citation in every CSV under data/."""
    found = []
    for path in sorted(DATA.rglob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            for number, row in enumerate(csv.reader(handle), start=1):
                for cell in row:
                    for match in CITATION.finditer(cell):
                        spans = tuple(
                            (int(a), int(b or a)) for a, b in SPAN.findall(match.group("spans"))
                        )
                        found.append(
                            Citation(
                                path.name,
                                number,
                                match.group("file"),
                                spans,
                                claim_of(cell, match.start(), match.end()),
                            )
                        )
    return found


def seed_lines(name: str) -> list[str]:
    return (SEEDS / name).read_text(encoding="utf-8").splitlines()


def figures(text: str) -> set[str]:
    """The figures in ``text`` as plain digits ('5,500' → '5500'), leaving out years."""
    return {number.rstrip(",").replace(",", "") for number in NUMBER.findall(YEAR.sub(" ", text))}


def is_heading(line: str) -> bool:
    """A title rather than a sentence or a table row: under ten words and no full stop."""
    text = line.strip()
    return len(text.split()) < 10 and not text.endswith(".")


def cited_text(citation: Citation) -> str:
    lines = seed_lines(citation.seed)
    return "\n".join("\n".join(lines[a - 1 : b]) for a, b in citation.spans)


ALL = citations()


def test_the_data_cite_the_seeds():
    # A parser that found nothing would pass every check below.
    assert len(ALL) > 80
    assert {c.csv_name for c in ALL} >= {
        "services.csv",
        "service_parameters.csv",
        "referral_levels.csv",
        "places.csv",
    }


@pytest.mark.parametrize("citation", ALL, ids=str)
def test_cited_lines_exist_and_are_sentences_not_blanks_or_headings(citation):
    lines = seed_lines(citation.seed)
    for first, last in citation.spans:
        assert 1 <= first <= last <= len(lines), f"{citation}: beyond the file's {len(lines)} lines"
        for end in {first, last}:
            line = lines[end - 1]
            assert line.strip(), f"{citation}: line {end} is blank"
            assert not is_heading(line), f"{citation}: line {end} is a heading: {line!r}"


@pytest.mark.parametrize("citation", ALL, ids=str)
def test_cited_lines_hold_the_figures_and_words_of_the_claim(citation):
    text = cited_text(citation)
    stated = figures(text)
    wanted = {f for f in figures(citation.claim) if (citation.csv_name, f) not in ASSUMED}
    assert wanted <= stated, f"{citation}: {sorted(wanted - stated)} not on the cited lines"
    words = {w.removesuffix("s") for w in WORD.findall(citation.claim.lower())} - COMMON_WORDS
    if "not stated" in citation.claim:
        return
    assert not words or any(word in text.lower() for word in words), (
        f"{citation}: none of {sorted(words)} on the cited lines"
    )


def test_the_claim_is_the_text_the_citation_stands_for():
    cell = (
        "Contract baseline 52 beds (seeds/a.txt:853); LoS is an assumption "
        "('nearly all patients are step down', seeds/a.txt:857)"
    )
    first = CITATION.search(cell)
    second = CITATION.search(cell, first.end())
    assert claim_of(cell, first.start(), first.end()) == "Contract baseline 52 beds"
    assert claim_of(cell, second.start(), second.end()) == "'nearly all patients are step down'"
    method = "Method as stated (seeds/b.txt:329-333): hours ÷ package. Assumption: 2,400 hours"
    match = CITATION.search(method)
    assert claim_of(method, match.start(), match.end()) == "Method as stated  hours ÷ package"
    assert figures("about 5,500 people in 2022/23, £1,100-£1,200 a week") == {
        "5500",
        "1100",
        "1200",
    }
    assert is_heading("7.9 Crisis Intervention") and not is_heading(
        "Nearly all patients are step down from acute. A small number of step up are patients."
    )
