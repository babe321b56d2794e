"""The bundled text corpus: cleaned pydoc prose, deterministic, disjoint train/validation splits."""

import gzip

import pytest

from rosenblatt.data import load_text_corpus
from rosenblatt.data.corpus import CORPUS_FILE, clean_pydoc_topics, corpus_paragraphs


def test_splits_partition_the_paragraphs():
    train, validation, everything = (load_text_corpus(s) for s in ("train", "validation", "all"))
    paragraphs = corpus_paragraphs()
    assert len(paragraphs) > 500
    assert len(train) > 150_000 and 15_000 < len(validation) < len(train) / 5
    assert everything.count("\n") == len(paragraphs)
    assert train.count("\n") + validation.count("\n") == len(paragraphs)
    assert validation.splitlines() == list(paragraphs[9::10])
    assert load_text_corpus() == train  # repeatable; train is the default


def test_text_is_clean_printable_ascii_prose():
    text = load_text_corpus("all")
    assert set(text) <= {chr(c) for c in range(32, 127)} | {"\n"}
    assert "::=" not in text and "*****" not in text and "  " not in text
    assert "Assert statements are a convenient way" in text
    words = text.split()
    assert sum(w.lower() in {"the", "a", "of", "is", "and"} for w in words) > 0.1 * len(words)


def test_cleaning_keeps_prose_and_drops_headings_code_and_tables():
    topics = {"b": "Title\n*****\n\nA first paragraph of plain prose\nwrapped over lines [1].\n\n"
                   "   if x:\n       pass\n\n+----+\n| a  |\n+----+\n\n* A bullet item with enough words here\n",
              "a": "It \u2019s typographic \u201cquotes\u201d \u2014 and a dash, here.\n"}
    assert clean_pydoc_topics(topics) == [
        "It 's typographic \"quotes\" - and a dash, here.",
        "A first paragraph of plain prose wrapped over lines.",
        "A bullet item with enough words here"]


def test_bundled_file_matches_this_pythons_pydoc_topics_mostly():
    topics = pytest.importorskip("pydoc_data.topics").topics
    ours = set(corpus_paragraphs())
    fresh = clean_pydoc_topics(topics)
    # The file was made from one CPython version; another changes a few paragraphs only.
    assert len(ours & set(fresh)) > 0.8 * len(ours)


def test_bundled_file_is_small_and_gzip():
    assert CORPUS_FILE.stat().st_size < 200_000
    with gzip.open(CORPUS_FILE, "rt", encoding="ascii") as f:
        assert f.read(10)


def test_bad_split():
    with pytest.raises(ValueError, match="split must be one of"):
        load_text_corpus("test")
