"""A bundled English text corpus for language modeling: the prose of CPython's pydoc topics.

CPython ships its language reference's help texts in ``pydoc_data.topics``
(what ``help("if")`` prints). :func:`clean_pydoc_topics` keeps their prose
paragraphs — no headings, grammar rules, code, or tables — each joined into
one line of printable ASCII (typographic quotes and dashes become ASCII, other
characters are dropped). The result, made once by
``tools/make_text_corpus.py``, is bundled as ``files/pydoc_topics.txt.gz``
so the corpus is the same whatever Python runs it.

:func:`load_text_corpus` returns the training or validation text: every
tenth paragraph (the 10th, 20th, ...) is validation, the rest training, so
both splits cover all topics. Paragraphs end with a newline.
"""

from __future__ import annotations

import functools
import gzip
import re
import unicodedata

from rosenblatt.data.datasets import FILES

CORPUS_FILE = FILES / "pydoc_topics.txt.gz"
VALIDATION_EVERY = 10
SPLITS = ("train", "validation", "all")

_ASCII_EQUIVALENTS = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                                    "\u2013": "-", "\u2014": "-", "\u2026": "..."})
_HEADING_UNDERLINE = re.compile(r"^([*=\-~^#\"'])\1{2,}$")
_FOOTNOTE = re.compile(r"\s*\[\d+\]")
_MIN_WORDS = 6


def _is_prose(block: list[str]) -> bool:
    first = block[0]
    if first[:1].isspace() or first[:1] in "+|=" or "::=" in first:
        return False  # indented code or grammar, a table
    if len(block) > 1 and _HEADING_UNDERLINE.match(block[1].strip()):
        return False  # a heading and its underline
    text = " ".join(block)
    letters = sum(ch.isalpha() or ch == " " for ch in text)
    return len(text.split()) >= _MIN_WORDS and letters >= 0.8 * len(text)


def clean_paragraph(block: list[str]) -> str:
    """The lines of one paragraph as one line of printable ASCII with single spaces."""
    text = " ".join(line.strip() for line in block)
    if text.startswith("* "):
        text = text[2:]  # a bullet list item
    text = _FOOTNOTE.sub("", text.translate(_ASCII_EQUIVALENTS))
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if " " <= ch <= "~")
    return " ".join(text.split())


def clean_pydoc_topics(topics: dict[str, str]) -> list[str]:
    """The prose paragraphs of ``topics`` (a dict like ``pydoc_data.topics.topics``), in key order."""
    paragraphs = []
    for key in sorted(topics):
        block: list[str] = []
        for line in topics[key].splitlines() + [""]:
            if line.strip():
                block.append(line.rstrip())
                continue
            if block and _is_prose(block):
                paragraph = clean_paragraph(block)
                if len(paragraph.split()) >= _MIN_WORDS:
                    paragraphs.append(paragraph)
            block = []
    return paragraphs


@functools.lru_cache(maxsize=None)
def corpus_paragraphs() -> tuple[str, ...]:
    """All paragraphs of the bundled corpus, in order."""
    if not CORPUS_FILE.is_file():
        raise FileNotFoundError(f"bundled corpus file {CORPUS_FILE} is missing; reinstall rosenblatt")
    with gzip.open(CORPUS_FILE, "rt", encoding="ascii") as f:
        return tuple(line.rstrip("\n") for line in f if line.strip())


def load_text_corpus(split: str = "train") -> str:
    """The corpus text of ``split``: ``"train"``, ``"validation"`` or ``"all"``, one paragraph a line.

    Paragraph ``i`` (from 0) is validation when ``i % 10 == 9``.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    paragraphs = corpus_paragraphs()
    if split == "train":
        paragraphs = [p for i, p in enumerate(paragraphs) if i % VALIDATION_EVERY != VALIDATION_EVERY - 1]
    elif split == "validation":
        paragraphs = paragraphs[VALIDATION_EVERY - 1::VALIDATION_EVERY]
    return "".join(p + "\n" for p in paragraphs)
