"""MultiheadAttention, positional encodings and the Transformer layers against PyTorch.

Each rosenblatt module is built, a torch module of the same configuration
gets its weights through ``state_dict`` (strict), and both run the same
inputs in eval mode: outputs (and, for MultiheadAttention, gradients) equal.
"""

from __future__ import annotations

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt import nn

torch = pytest.importorskip("torch")


def to_torch(module, torch_module):
    """Load rosenblatt's parameters into torch_module (strict), both in eval mode."""
    state = {k: torch.tensor(np.asarray(v.data)) for k, v in module.state_dict().items()}
    torch_module.load_state_dict(state, strict=True)
    module.eval()
    torch_module.eval()
    return torch_module


def from_torch(torch_module, module):
    """Load torch_module's parameters into module (strict); both in eval mode."""
    result = module.load_state_dict({k: v.detach().numpy().copy()
                                     for k, v in torch_module.state_dict().items()}, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    module.eval()
    torch_module.eval()
    return module


def randn(rng, *shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("need_weights", [False, True])
def test_mha_self_attention_matches_torch(batch_first, need_weights):
    rng = np.random.default_rng(0)
    ours = nn.MultiheadAttention(16, 4, batch_first=batch_first)
    theirs = to_torch(ours, torch.nn.MultiheadAttention(16, 4, batch_first=batch_first))
    x = randn(rng, 3, 5, 16)  # (L, N, E) or (N, L, E)
    batch, length = (3, 5) if batch_first else (5, 3)
    kpm = np.zeros((batch, length), bool)
    kpm[0, -2:] = True
    attn = np.triu(np.ones((length, length), bool), 1)
    xr = rb.Tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    out, w = ours(xr, xr, xr, key_padding_mask=kpm, attn_mask=attn, need_weights=need_weights)
    ot, wt = theirs(xt, xt, xt, key_padding_mask=torch.tensor(kpm), attn_mask=torch.tensor(attn),
                    need_weights=need_weights)
    np.testing.assert_allclose(out.data, ot.detach().numpy(), rtol=1e-5, atol=1e-5)
    if need_weights:
        np.testing.assert_allclose(w.data, wt.detach().numpy(), rtol=1e-5, atol=1e-6)
    else:
        assert w is None and wt is None
    g = randn(rng, *out.shape)
    out.backward(g)
    ot.backward(torch.tensor(g))
    np.testing.assert_allclose(xr.grad.data, xt.grad.numpy(), rtol=1e-4, atol=1e-5)
    for name, p in ours.named_parameters():
        tp = dict(theirs.named_parameters())[name]
        np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-4, atol=1e-5,
                                   err_msg=name)


def test_mha_cross_attention_kdim_vdim_float_masks_and_per_head_weights():
    rng = np.random.default_rng(1)
    ours = nn.MultiheadAttention(12, 3, kdim=5, vdim=7, batch_first=True)
    assert ours.in_proj_weight is None
    theirs = to_torch(ours, torch.nn.MultiheadAttention(12, 3, kdim=5, vdim=7, batch_first=True))
    q, k, v = randn(rng, 2, 4, 12), randn(rng, 2, 6, 5), randn(rng, 2, 6, 7)
    mask = randn(rng, 2 * 3, 4, 6)          # a float (N * H, L, S) mask
    kpm = randn(rng, 2, 6)                   # a float key padding mask
    out, w = ours(rb.Tensor(q), rb.Tensor(k), rb.Tensor(v), key_padding_mask=kpm,
                  attn_mask=mask, average_attn_weights=False)
    ot, wt = theirs(*(torch.tensor(a) for a in (q, k, v)), key_padding_mask=torch.tensor(kpm),
                    attn_mask=torch.tensor(mask), average_attn_weights=False)
    np.testing.assert_allclose(out.data, ot.detach().numpy(), rtol=1e-5, atol=1e-5)
    assert w.shape == (2, 3, 4, 6)
    np.testing.assert_allclose(w.data, wt.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("add_bias_kv,add_zero_attn", [(True, False), (False, True), (True, True)])
def test_mha_bias_kv_and_zero_attn(add_bias_kv, add_zero_attn):
    rng = np.random.default_rng(2)
    kw = dict(add_bias_kv=add_bias_kv, add_zero_attn=add_zero_attn)
    ours = nn.MultiheadAttention(8, 2, **kw)
    theirs = to_torch(ours, torch.nn.MultiheadAttention(8, 2, **kw))
    x = randn(rng, 4, 3, 8)
    kpm = np.zeros((3, 4), bool)
    kpm[1, 0] = True
    out, w = ours(rb.Tensor(x), rb.Tensor(x), rb.Tensor(x), key_padding_mask=kpm)
    ot, wt = theirs(*(torch.tensor(x),) * 3, key_padding_mask=torch.tensor(kpm))
    np.testing.assert_allclose(out.data, ot.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(w.data, wt.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_mha_unbatched_and_causal_flag():
    rng = np.random.default_rng(3)
    ours = nn.MultiheadAttention(8, 2)
    theirs = to_torch(ours, torch.nn.MultiheadAttention(8, 2))
    x = randn(rng, 5, 8)
    causal = torch.nn.Transformer.generate_square_subsequent_mask(5)
    ot, _ = theirs(*(torch.tensor(x),) * 3, attn_mask=causal, need_weights=False, is_causal=True)
    out, _ = ours(rb.Tensor(x), rb.Tensor(x), rb.Tensor(x), need_weights=False, is_causal=True)
    assert out.shape == (5, 8)
    np.testing.assert_allclose(out.data, ot.detach().numpy(), rtol=1e-5, atol=1e-5)


def test_mha_bad_input():
    with pytest.raises(ValueError, match="embed_dim .* divisible by num_heads"):
        nn.MultiheadAttention(10, 3)
    mha = nn.MultiheadAttention(8, 2, batch_first=True)
    x = rb.Tensor(np.zeros((2, 3, 8), np.float32))
    with pytest.raises(ValueError, match="embed_dim"):
        mha(rb.Tensor(np.zeros((2, 3, 6), np.float32)), x, x)
    with pytest.raises(ValueError, match="key_padding_mask"):
        mha(x, x, x, key_padding_mask=np.zeros((2, 4), bool))
    with pytest.raises(ValueError, match="attn_mask"):
        mha(x, x, x, attn_mask=np.zeros((3, 4), bool))
    with pytest.raises(TypeError, match="attn_mask"):
        mha(x, x, x, attn_mask=np.zeros((3, 3), np.int32))
    with pytest.raises(ValueError, match="batch size"):
        mha(x, rb.Tensor(np.zeros((3, 3, 8), np.float32)), rb.Tensor(np.zeros((3, 3, 8),
                                                                              np.float32)))


def test_sinusoidal_positional_encoding():
    d, max_len = 6, 50
    pe = nn.PositionalEncoding(d, max_len=max_len, batch_first=True)
    table = pe.pe.data
    pos, i = 7, 2  # pe[pos, 2i] = sin(pos / 10000^(2i/d)), pe[pos, 2i+1] = cos(...)
    np.testing.assert_allclose(table[pos, 2 * i], np.sin(pos / 10000 ** (2 * i / d)), rtol=1e-6)
    np.testing.assert_allclose(table[pos, 2 * i + 1], np.cos(pos / 10000 ** (2 * i / d)),
                               rtol=1e-6)
    assert "pe" not in pe.state_dict()
    x = np.ones((2, 4, d), np.float32)
    np.testing.assert_allclose(pe(rb.Tensor(x)).data, x + table[None, :4])
    np.testing.assert_allclose(pe(rb.Tensor(x), offset=3).data, x + table[None, 3:7])
    seq_first = nn.PositionalEncoding(5, max_len=8)  # odd d_model: sin/cos interleaved
    y = seq_first(rb.Tensor(np.zeros((3, 2, 5), np.float32))).data
    np.testing.assert_allclose(y[:, 1], seq_first.pe.data[:3])
    with pytest.raises(ValueError, match="max_len = 8"):
        seq_first(rb.Tensor(np.zeros((9, 2, 5), np.float32)))
    with pytest.raises(ValueError, match="max_len = 8"):
        seq_first(rb.Tensor(np.zeros((3, 2, 5), np.float32)), offset=6)
    with pytest.raises(ValueError, match="d_model"):
        seq_first(rb.Tensor(np.zeros((3, 2, 4), np.float32)))


def test_learned_positional_embedding_trains():
    emb = nn.LearnedPositionalEmbedding(10, 4, batch_first=True)
    assert emb.weight.shape == (10, 4) and "weight" in emb.state_dict()
    x = rb.Tensor(np.zeros((3, 5, 4), np.float32))
    out = emb(x, offset=2)
    np.testing.assert_allclose(out.data, np.broadcast_to(emb.weight.data[2:7], (3, 5, 4)))
    out.sum().backward()
    expected = np.zeros((10, 4), np.float32)
    expected[2:7] = 3
    np.testing.assert_allclose(emb.weight.grad.data, expected)
    with pytest.raises(ValueError, match="max_len = 10"):
        emb(rb.Tensor(np.zeros((1, 11, 4), np.float32)))


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_encoder_layer_matches_torch(norm_first, activation):
    rng = np.random.default_rng(4)
    kw = dict(dim_feedforward=24, dropout=0.1, activation=activation, norm_first=norm_first,
              batch_first=True)
    theirs = torch.nn.TransformerEncoderLayer(16, 4, **kw)
    ours = from_torch(theirs, nn.TransformerEncoderLayer(16, 4, **kw))
    x = randn(rng, 2, 6, 16)
    kpm = np.zeros((2, 6), bool)
    kpm[1, 4:] = True
    expected = theirs(torch.tensor(x), src_key_padding_mask=torch.tensor(kpm)).detach().numpy()
    got = ours(rb.Tensor(x), src_key_padding_mask=kpm).data
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got[1, :4], expected[1, :4], rtol=1e-4, atol=1e-5)


def test_decoder_layer_matches_torch_and_trains():
    rng = np.random.default_rng(5)
    theirs = torch.nn.TransformerDecoderLayer(8, 2, dim_feedforward=16)
    ours = from_torch(theirs, nn.TransformerDecoderLayer(8, 2, dim_feedforward=16))
    tgt, memory = randn(rng, 5, 3, 8), randn(rng, 7, 3, 8)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(5)
    expected = theirs(torch.tensor(tgt), torch.tensor(memory), tgt_mask=mask,
                      tgt_is_causal=True).detach().numpy()
    got = ours(rb.Tensor(tgt), rb.Tensor(memory), tgt_mask=mask.numpy(), tgt_is_causal=True)
    np.testing.assert_allclose(got.data, expected, rtol=1e-4, atol=1e-5)
    ours.train()
    out = ours(rb.Tensor(tgt), rb.Tensor(memory), tgt_is_causal=True)
    out.sum().backward()
    assert all(p.grad is not None for p in ours.parameters())


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")  # torch's, for norm_first
@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_matches_torch(norm_first):
    rng = np.random.default_rng(6)
    kw = dict(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=2,
              dim_feedforward=16, norm_first=norm_first, batch_first=True)
    ours = nn.Transformer(**kw)
    theirs = to_torch(ours, torch.nn.Transformer(**kw))
    assert len(ours.state_dict()) == len(theirs.state_dict())
    src, tgt = randn(rng, 2, 6, 8), randn(rng, 2, 4, 8)
    src_kpm = np.zeros((2, 6), bool)
    src_kpm[0, 5] = True
    mask = nn.Transformer.generate_square_subsequent_mask(4)
    np.testing.assert_array_equal(mask.data, torch.nn.Transformer.generate_square_subsequent_mask(4))
    expected = theirs(torch.tensor(src), torch.tensor(tgt), tgt_mask=torch.tensor(mask.data),
                      src_key_padding_mask=torch.tensor(src_kpm),
                      memory_key_padding_mask=torch.tensor(src_kpm)).detach().numpy()
    got = ours(rb.Tensor(src), rb.Tensor(tgt), tgt_mask=mask, src_key_padding_mask=src_kpm,
               memory_key_padding_mask=src_kpm)
    np.testing.assert_allclose(got.data, expected, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="d_model"):
        ours(rb.Tensor(src[..., :4]), rb.Tensor(tgt))


def test_encoder_stack_float64_and_bad_arguments():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, dtype=np.float64)
    encoder = nn.TransformerEncoder(layer, 2)
    assert [n for n, _ in encoder.named_parameters()][0] == "layers.0.self_attn.in_proj_weight"
    assert encoder.layers[0].linear1.weight is not encoder.layers[1].linear1.weight
    x = rb.Tensor(np.random.default_rng(7).standard_normal((3, 2, 8)))
    assert encoder(x, is_causal=True).dtype == np.float64
    with pytest.raises(ValueError, match="nhead"):
        nn.TransformerEncoderLayer(8, 0)
    with pytest.raises(ValueError, match="divisible by num_heads"):
        nn.TransformerEncoderLayer(8, 3)
    with pytest.raises(ValueError, match="activation"):
        nn.TransformerEncoderLayer(8, 2, activation="swish")
