"""Benchmark of GPT generation: the next token with the KV cache against recomputing the prefix.

A character GPT (d_model 256, 8 heads, 4 layers) holds a context of 256
tokens, for a batch of 1 and of 8 sequences. The cached step runs the one new
token of each sequence through every block, attending to the 256 cached keys
and values; the uncached step runs the forward pass over all 257 positions
and keeps the last logits (what generation without a cache does for every
token). The KV cache's speedup is the ratio of the two rows of a batch size
(target: >= 5x). At batch 1 the cached step's products have one row, where
the weight's packing in our GEMM costs more than the product itself.

Run: ``rosenblatt bench --only generation``.
"""

from __future__ import annotations

import numpy as np

from rosenblatt.bench.common import Case

CONTEXT = 256
BATCHES = (1, 8)
SHAPE = dict(vocab_size=96, block_size=512, d_model=256, nhead=8, num_layers=4)


def _pair(model, batch: int) -> list[Case]:
    """The cached and the recomputing next-token cases for ``batch`` sequences."""
    import rosenblatt as rb
    from rosenblatt.models.gpt import KVCache

    ids = np.random.default_rng(0).integers(0, SHAPE["vocab_size"], (batch, CONTEXT + 1))
    with rb.no_grad():
        prefilled = model.new_cache()
        model(ids[:, :CONTEXT], prefilled)

    def cached_step():
        cache = KVCache(len(model.blocks))  # the 256 cached positions, never grown in place
        cache.keys, cache.values = list(prefilled.keys), list(prefilled.values)
        with rb.no_grad():
            return model(ids[:, CONTEXT:], cache).data[:, -1]

    def recompute_step():
        with rb.no_grad():
            return model(ids).data[:, -1]

    name = (f"GPT next token at context {CONTEXT}, batch {batch} (d_model {SHAPE['d_model']}, "
            f"{SHAPE['num_layers']} layers)")
    return [Case(f"{name}, KV cache", {"rosenblatt": cached_step}),
            Case(f"{name}, recomputing the prefix", {"rosenblatt": recompute_step})]


def cases(quick: bool = False) -> list[Case]:
    import rosenblatt as rb
    from rosenblatt.models.gpt import GPT

    rb.manual_seed(0)
    model = GPT(**SHAPE).eval()
    return [case for batch in (BATCHES[:1] if quick else BATCHES) for case in _pair(model, batch)]


def speedups(rounds: int = 11) -> dict[int, float]:
    """Batch size -> how many times faster the cached step is than recomputing (medians)."""
    from rosenblatt.bench.common import run_case

    seconds = [run_case(case, rounds=rounds).seconds["rosenblatt"] for case in cases()]
    return {batch: seconds[2 * i + 1] / seconds[2 * i] for i, batch in enumerate(BATCHES)}
