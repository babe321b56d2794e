"""Character and word vocabularies: specials, frequency order, encode/decode, padded batches."""

import numpy as np
import pytest

from rosenblatt.text import BOS, EOS, PAD, UNK, CharVocab, WordVocab, pad_sequences, vocab_from_dict


def test_char_vocab_order_and_round_trip():
    vocab = CharVocab.build(["abracadabra", "cab"], bos_eos=True)
    assert vocab.itos[:4] == [PAD, UNK, BOS, EOS]
    assert (vocab.pad_id, vocab.unk_id, vocab.bos_id, vocab.eos_id) == (0, 1, 2, 3)
    assert vocab.itos[4:] == ["a", "b", "c", "r", "d"]  # a:6, b:3, c:2, r:2, d:1 (ties by code point)
    ids = vocab.encode("cab!", add_bos=True, add_eos=True)
    assert ids == [2, 6, 4, 5, 1, 3]
    assert vocab.decode(ids) == "cab"  # <unk> and specials dropped
    assert vocab.decode(ids, skip_special=False) == "<bos>cab<unk>"
    assert vocab.decode([4, 3, 5]) == "a" and vocab.decode([4, 3, 5], stop_at_eos=False) == "ab"
    assert len(vocab) == 9 and "a" in vocab and "z" not in vocab


def test_word_vocab_min_freq_max_size_and_lower():
    texts = ["The cat sat on the mat.", "the dog sat, too!"]
    vocab = WordVocab.build(texts, lower=True)
    assert vocab.itos[:2] == [PAD, UNK] and vocab.bos_id is None and vocab.eos_id is None
    assert vocab.itos[2:4] == ["the", "sat"]
    assert vocab.decode(vocab.encode("The cat, the bird.")) == "the cat , the ."
    frequent = WordVocab.build(texts, lower=True, min_freq=2)
    assert frequent.itos == [PAD, UNK, "the", "sat"]
    assert len(WordVocab.build(texts, max_size=5)) == 5
    assert WordVocab.build(texts).encode("The")[0] != WordVocab.build(texts).unk_id
    assert WordVocab.build(texts, lower=True) == vocab


def test_batch_pads_and_reports_lengths():
    vocab = CharVocab.build(["abc"], bos_eos=True)
    ids, lengths = vocab.batch(["abc", "a", ""], add_eos=True)
    assert ids.dtype == np.int64 and ids.shape == (3, 4)
    np.testing.assert_array_equal(lengths, [4, 2, 1])
    np.testing.assert_array_equal(ids[1], [vocab.stoi["a"], vocab.eos_id, vocab.pad_id, vocab.pad_id])
    assert vocab.decode_batch(ids) == ["abc", "a", ""]
    cut, cut_lengths = vocab.batch(["abc", "a"], max_length=2)
    assert cut.shape == (2, 2) and cut_lengths.tolist() == [2, 1]


def test_pad_sequences_empty_and_custom_pad():
    ids, lengths = pad_sequences([[5, 6], [7]], pad_id=9)
    assert ids.tolist() == [[5, 6], [7, 9]] and lengths.tolist() == [2, 1]
    ids, lengths = pad_sequences([])
    assert ids.shape == (0, 0) and lengths.shape == (0,)


def test_to_dict_round_trip_is_json():
    import json

    for vocab in (CharVocab.build(["abc"], bos_eos=True), WordVocab.build(["A b"], lower=True)):
        again = vocab_from_dict(json.loads(json.dumps(vocab.to_dict())))
        assert again == vocab and type(again) is type(vocab)
    with pytest.raises(ValueError, match="not a vocabulary description"):
        vocab_from_dict({"class": "Tokenizer", "tokens": []})


def test_bad_input():
    vocab = CharVocab.build(["ab"])
    with pytest.raises(ValueError, match="no <bos> token"):
        vocab.encode("a", add_bos=True)
    with pytest.raises(ValueError, match="ids must lie in"):
        vocab.decode([99])
    with pytest.raises(TypeError, match="text must be a str"):
        vocab.encode(["a"])
    with pytest.raises(TypeError, match="not one str"):
        CharVocab.build("abc")
    with pytest.raises(TypeError, match="not one str"):
        vocab.batch("abc")
    with pytest.raises(ValueError, match="min_freq"):
        CharVocab.build(["a"], min_freq=0)
    with pytest.raises(ValueError, match="max_size"):
        CharVocab.build(["a"], max_size=1, bos_eos=False)
    with pytest.raises(ValueError, match="must include <unk>"):
        CharVocab([PAD, "a"])
    with pytest.raises(ValueError, match="distinct"):
        CharVocab([PAD, UNK, "a", "a"])
    with pytest.raises(ValueError, match="max_length"):
        pad_sequences([[1]], max_length=0)
