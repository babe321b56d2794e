"""Vocabularies: token <-> id maps with special tokens, encoding, decoding and padded batches.

A :class:`Vocab` holds its special tokens first (``<pad>`` = 0, ``<unk>`` = 1,
then ``<bos>`` and ``<eos>`` when asked for), then the tokens of the text it
was built from, most frequent first (ties in code-point order), so the same
text always gives the same ids. :class:`CharVocab` splits text into
characters, :class:`WordVocab` into words and punctuation marks. A token
missing from the vocabulary encodes as ``<unk>``.

:meth:`Vocab.batch` turns strings into one ``(batch, time)`` int64 array
padded with ``<pad>`` plus the true lengths (what ``rb.nn.Embedding(...,
padding_idx=vocab.pad_id)`` and the recurrent layers' ``lengths=`` take).
"""

from __future__ import annotations

import collections
import re
from typing import Iterable, Sequence

import numpy as np

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"

_WORD = re.compile(r"\w+|[^\w\s]")


def pad_sequences(sequences: Sequence[Sequence[int]], pad_id: int = 0, *, max_length: int | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(ids (N, T) int64, lengths (N,) int64): sequences left-aligned, padded with ``pad_id``.

    ``T`` is the longest length, or ``max_length`` (longer sequences are
    then cut to it).
    """
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)
    if max_length is not None:
        if max_length < 1:
            raise ValueError(f"max_length must be >= 1, got {max_length}")
        lengths = np.minimum(lengths, max_length)
    width = int(lengths.max()) if len(lengths) else 0
    ids = np.full((len(sequences), width), pad_id, dtype=np.int64)
    for row, (sequence, length) in enumerate(zip(sequences, lengths.tolist())):
        ids[row, :length] = sequence[:length]
    return ids, lengths


class Vocab:
    """A token <-> id map. Build one with :meth:`build` (from texts) or from a token list.

    Parameters
    ----------
    tokens : sequence of str
        All tokens in id order, special tokens included (``<pad>`` and
        ``<unk>`` must be among them).
    """

    def __init__(self, tokens: Sequence[str]) -> None:
        tokens = list(tokens)
        if len(set(tokens)) != len(tokens):
            duplicates = sorted({t for t in tokens if tokens.count(t) > 1})
            raise ValueError(f"tokens must be distinct, got duplicates {duplicates}")
        for special in (PAD, UNK):
            if special not in tokens:
                raise ValueError(f"tokens must include {special}")
        self.itos: list[str] = tokens
        self.stoi: dict[str, int] = {token: i for i, token in enumerate(tokens)}
        self.pad_id = self.stoi[PAD]
        self.unk_id = self.stoi[UNK]
        self.bos_id: int | None = self.stoi.get(BOS)
        self.eos_id: int | None = self.stoi.get(EOS)
        self.special_ids = frozenset(self.stoi[t] for t in (PAD, UNK, BOS, EOS) if t in self.stoi)

    # -- tokenization: subclasses say what a token is ---------------------------------
    def tokenize(self, text: str) -> list[str]:
        raise NotImplementedError

    def detokenize(self, tokens: list[str]) -> str:
        raise NotImplementedError

    @classmethod
    def build(cls, texts: Iterable[str], *, min_freq: int = 1, max_size: int | None = None,
              bos_eos: bool = False, **options) -> "Vocab":
        """The vocabulary of ``texts``: tokens seen at least ``min_freq`` times, most frequent first.

        ``max_size`` caps the number of tokens (specials included);
        ``bos_eos=True`` adds ``<bos>`` and ``<eos>`` (for sequence-to-sequence).
        """
        if isinstance(texts, str):
            raise TypeError("texts must be an iterable of strings, not one str")
        if min_freq < 1:
            raise ValueError(f"min_freq must be >= 1, got {min_freq}")
        specials = [PAD, UNK] + ([BOS, EOS] if bos_eos else [])
        if max_size is not None and max_size < len(specials):
            raise ValueError(f"max_size must be >= {len(specials)} (the special tokens), got {max_size}")
        tokenizer = cls([PAD, UNK], **options)
        counts = collections.Counter()
        for text in texts:
            counts.update(tokenizer.tokenize(text))
        ranked = sorted((t for t, c in counts.items() if c >= min_freq and t not in specials),
                        key=lambda t: (-counts[t], t))
        if max_size is not None:
            ranked = ranked[:max_size - len(specials)]
        return cls(specials + ranked, **options)

    # -- the map ----------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={len(self)})"

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and self.itos == other.itos

    def encode(self, text: str, *, add_bos: bool = False, add_eos: bool = False) -> list[int]:
        """The ids of ``text``'s tokens (``<unk>`` for unknown ones), optionally framed by <bos>/<eos>."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        ids = [self.stoi.get(token, self.unk_id) for token in self.tokenize(text)]
        if add_bos:
            ids.insert(0, self._required(self.bos_id, BOS))
        if add_eos:
            ids.append(self._required(self.eos_id, EOS))
        return ids

    def decode(self, ids: Iterable[int], *, stop_at_eos: bool = True, skip_special: bool = True) -> str:
        """The text of ``ids``: stops at the first ``<eos>`` and drops <pad>/<bos> (and <unk>) by default."""
        tokens = []
        for i in np.asarray(ids, dtype=np.int64).reshape(-1).tolist():
            if not 0 <= i < len(self.itos):
                raise ValueError(f"ids must lie in [0, {len(self.itos)}), got {i}")
            if stop_at_eos and i == self.eos_id:
                break
            if skip_special and i in self.special_ids:
                continue
            tokens.append(self.itos[i])
        return self.detokenize(tokens)

    def batch(self, texts: Sequence[str], *, add_bos: bool = False, add_eos: bool = False,
              max_length: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(ids (N, T) int64 padded with ``<pad>``, lengths (N,) int64) of ``texts``."""
        if isinstance(texts, str):
            raise TypeError("texts must be a sequence of strings, not one str")
        return pad_sequences([self.encode(t, add_bos=add_bos, add_eos=add_eos) for t in texts],
                             self.pad_id, max_length=max_length)

    def decode_batch(self, ids: np.ndarray, **options) -> list[str]:
        """:meth:`decode` of each row of a (N, T) id array."""
        return [self.decode(row, **options) for row in np.asarray(ids)]

    def to_dict(self) -> dict:
        """A JSON-serializable description (class and tokens), for checkpoints; see :func:`vocab_from_dict`."""
        return {"class": type(self).__name__, "tokens": list(self.itos), **self._options()}

    def _options(self) -> dict:
        return {}

    def _required(self, token_id: int | None, name: str) -> int:
        if token_id is None:
            raise ValueError(f"this vocabulary has no {name} token (build it with bos_eos=True)")
        return token_id


class CharVocab(Vocab):
    """A vocabulary of single characters."""

    def tokenize(self, text: str) -> list[str]:
        return list(text)

    def detokenize(self, tokens: list[str]) -> str:
        return "".join(tokens)


class WordVocab(Vocab):
    """A vocabulary of words and punctuation marks (``\\w+`` runs and single other characters).

    ``lower=True`` lowercases text before splitting it. Decoding joins tokens
    with single spaces.
    """

    def __init__(self, tokens: Sequence[str], *, lower: bool = False) -> None:
        super().__init__(tokens)
        self.lower = bool(lower)

    def tokenize(self, text: str) -> list[str]:
        return _WORD.findall(text.lower() if self.lower else text)

    def detokenize(self, tokens: list[str]) -> str:
        return " ".join(tokens)

    def __eq__(self, other) -> bool:
        return super().__eq__(other) and self.lower == other.lower

    def _options(self) -> dict:
        return {"lower": self.lower}


VOCABULARIES = {"CharVocab": CharVocab, "WordVocab": WordVocab}


def vocab_from_dict(description: dict) -> Vocab:
    """The vocabulary :meth:`Vocab.to_dict` described."""
    if not isinstance(description, dict) or description.get("class") not in VOCABULARIES \
            or not isinstance(description.get("tokens"), list):
        raise ValueError(f"not a vocabulary description: expected a dict with 'class' in "
                         f"{sorted(VOCABULARIES)} and a 'tokens' list")
    options = {k: v for k, v in description.items() if k not in ("class", "tokens")}
    return VOCABULARIES[description["class"]](description["tokens"], **options)
