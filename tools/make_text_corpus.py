"""Regenerate the bundled text corpus ``python/rosenblatt/data/files/pydoc_topics.txt.gz``.

The corpus is the prose of CPython's ``pydoc_data.topics`` (the help texts of
the language reference), cleaned by ``rosenblatt.data.corpus.clean_pydoc_topics``.
Run from the repository root with rosenblatt installed::

    python tools/make_text_corpus.py
"""

from __future__ import annotations

import gzip
import sys

import pydoc_data.topics

from rosenblatt.data.corpus import CORPUS_FILE, clean_pydoc_topics


def main() -> None:
    paragraphs = clean_pydoc_topics(pydoc_data.topics.topics)
    text = "".join(p + "\n" for p in paragraphs)
    # mtime=0: the same text gives the same bytes.
    with open(CORPUS_FILE, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
        f.write(text.encode("ascii"))
    print(f"{CORPUS_FILE}: {len(paragraphs)} paragraphs, {len(text)} characters "
          f"from Python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
