#!/usr/bin/env python3
"""Reference fixture for the AR checkpoint layout (training/.../autoregressive/ArCheckpoint).

This script defines its OWN tiny PyTorch module tree with LlamaGen's GPT key layout (autoregressive/models/gpt.py:
tok_embeddings, cls_embedding.embedding_table, layers.N.attention.wqkv / wo, layers.N.feed_forward.w1 / w2 / w3,
layers.N.attention_norm, layers.N.ffn_norm, norm, output), plus what this project's model adds (see the NOTE in
ArCheckpoint): AdaLN class conditioning (layers.N.adaLN_modulation.1.*, adaLN_modulation.1.*) and a class token that
RoPE does not rotate. It is written from the reference's and the Java model's behaviour, not copied from either.

  make   (default) random init of every tensor (the output head and norm weights too, so nothing is trivially zero
         or one), saves under OUT (default: ../resources/reference):
         ar-tiny.safetensors        the weights under the reference keys, metadata ibq.model_args (as Java writes it)
         ar-expected.safetensors    tokens (B, N-1) int64, labels (B) int64 (the last row the null class), logits
                                    (B, N, K) float32 of this module in eval mode
  check  --weights X.safetensors [--tokens T.safetensors]: builds the module from the file's ibq.model_args, loads the
         weights with load_state_dict(strict=True), runs the tokens and labels of T (default: ar-expected.safetensors)
         and prints {"keys": n, "logits": [...]} as JSON

Run with Debian's python3-torch (1.13): /usr/bin/python3 make_ar_fixture.py make
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_reference_fixture import read_safetensors, write_safetensors  # noqa: E402

# Tiny, and deliberately not square: a 3x4 grid (N = 12), head dim 16 (4 rotary pairs by row, 4 by column).
MODEL_ARGS = dict(dim=32, n_layer=2, n_head=2, multiple_of=32, vocab_size=24, num_classes=5, cls_token_num=1,
                  grid_height=3, grid_width=4, rope_base=10000.0, norm_eps=1e-5, class_dropout_prob=0.1, ada_ln=True)


def find_multiple(n, k):
    return n if n % k == 0 else n + k - (n % k)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(torch.mean(x * x, dim=-1, keepdim=True) + self.eps) * self.weight


class FeedForward(nn.Module):
    def __init__(self, a):
        super().__init__()
        hidden = find_multiple(int(2 * (4 * a["dim"]) / 3), a["multiple_of"])
        self.w1 = nn.Linear(a["dim"], hidden, bias=False)
        self.w3 = nn.Linear(a["dim"], hidden, bias=False)
        self.w2 = nn.Linear(hidden, a["dim"], bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


def rope_table(a):
    """(1 + N, d/2, 2) cos/sin: LlamaGen's precompute_freqs_cis_2d for an H x W grid; the class token unrotated."""
    d = a["dim"] // a["n_head"]
    half = d // 2
    freqs = 1.0 / (a["rope_base"] ** (torch.arange(0, half, 2)[: half // 2].float() / half))  # (d/4)
    rows = torch.outer(torch.arange(a["grid_height"]).float(), freqs)  # (H, d/4)
    cols = torch.outer(torch.arange(a["grid_width"]).float(), freqs)  # (W, d/4)
    grid = torch.cat([rows[:, None, :].expand(-1, a["grid_width"], -1),
                      cols[None, :, :].expand(a["grid_height"], -1, -1)], dim=-1)  # (H, W, d/2)
    table = torch.stack([torch.cos(grid), torch.sin(grid)], dim=-1).flatten(0, 1)  # (N, d/2, 2)
    # NOTE: LlamaGen prepends zeros here (q, k of the class token become 0); the Java model leaves it unrotated.
    cls = torch.stack([torch.ones(a["cls_token_num"], half), torch.zeros(a["cls_token_num"], half)], dim=-1)
    return torch.cat([cls, table])


def apply_rotary(x, table):
    # x (B, L, H, d); table (L, d/2, 2): pairs (2j, 2j+1) as in LlamaGen's apply_rotary_emb
    xs = x.float().reshape(*x.shape[:-1], -1, 2)
    t = table.view(1, xs.size(1), 1, xs.size(3), 2)
    out = torch.stack([xs[..., 0] * t[..., 0] - xs[..., 1] * t[..., 1],
                       xs[..., 1] * t[..., 0] + xs[..., 0] * t[..., 1]], dim=-1)
    return out.flatten(3).type_as(x)


class Attention(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.dim, self.n_head = a["dim"], a["n_head"]
        self.head_dim = a["dim"] // a["n_head"]
        self.wqkv = nn.Linear(a["dim"], 3 * a["dim"], bias=False)  # n_kv_head = n_head
        self.wo = nn.Linear(a["dim"], a["dim"], bias=False)

    def forward(self, x, table):
        b, l, _ = x.shape
        q, k, v = self.wqkv(x).split([self.dim, self.dim, self.dim], dim=-1)
        q = apply_rotary(q.view(b, l, self.n_head, self.head_dim), table)
        k = apply_rotary(k.view(b, l, self.n_head, self.head_dim), table)
        v = v.view(b, l, self.n_head, self.head_dim)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))
        scores = q @ k.transpose(-2, -1) / (self.head_dim ** 0.5)
        mask = torch.ones(l, l, dtype=torch.bool).tril()
        scores = scores.masked_fill(~mask, float("-inf"))
        out = torch.softmax(scores, dim=-1) @ v
        return self.wo(out.transpose(1, 2).reshape(b, l, self.dim))


def modulate(x, shift, scale):
    return x * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1)


class TransformerBlock(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.attention = Attention(a)
        self.feed_forward = FeedForward(a)
        self.attention_norm = RMSNorm(a["dim"], a["norm_eps"])
        self.ffn_norm = RMSNorm(a["dim"], a["norm_eps"])
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(a["dim"], 6 * a["dim"]))

    def forward(self, x, cond, table):
        shift1, scale1, gate1, shift2, scale2, gate2 = self.adaLN_modulation(cond).chunk(6, dim=-1)
        h = x + gate1.unsqueeze(1) * self.attention(modulate(self.attention_norm(x), shift1, scale1), table)
        return h + gate2.unsqueeze(1) * self.feed_forward(modulate(self.ffn_norm(h), shift2, scale2))


class LabelEmbedder(nn.Module):
    def __init__(self, num_classes, dim, dropout_prob):
        super().__init__()
        self.embedding_table = nn.Embedding(num_classes + (dropout_prob > 0), dim)  # last row: the null class


class Transformer(nn.Module):
    """LlamaGen's GPT Transformer (c2i, one class token) with AdaLN conditioning; eval-mode forward only."""

    def __init__(self, a):
        super().__init__()
        self.args = a
        self.cls_embedding = LabelEmbedder(a["num_classes"], a["dim"], a["class_dropout_prob"])
        self.tok_embeddings = nn.Embedding(a["vocab_size"], a["dim"])
        self.layers = nn.ModuleList(TransformerBlock(a) for _ in range(a["n_layer"]))
        self.norm = RMSNorm(a["dim"], a["norm_eps"])
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(a["dim"], 2 * a["dim"]))
        self.output = nn.Linear(a["dim"], a["vocab_size"], bias=False)
        self.register_buffer("freqs_cis", rope_table(a), persistent=False)  # not in the state dict, as in LlamaGen

    def forward(self, idx, labels):
        """idx (B, l) token ids, labels (B) class ids (num_classes = null) -> (B, l + 1, K) logits."""
        cond = self.cls_embedding.embedding_table(labels)  # (B, C)
        h = torch.cat([cond.unsqueeze(1), self.tok_embeddings(idx)], dim=1)  # (B, l + 1, C)
        table = self.freqs_cis[: h.shape[1]]
        for layer in self.layers:
            h = layer(h, cond, table)
        shift, scale = self.adaLN_modulation(cond).chunk(2, dim=-1)
        return self.output(modulate(self.norm(h), shift, scale)).float()


def randomize(model, generator):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=generator))
            else:
                p.copy_(0.2 * torch.randn(p.shape, generator=generator))


def state_tensors(model):
    return {k: ("F32", v.detach().numpy().astype(np.float32)) for k, v in model.state_dict().items()}


def make(out):
    generator = torch.Generator().manual_seed(20261201)
    model = Transformer(MODEL_ARGS).eval()
    randomize(model, generator)
    a = MODEL_ARGS
    n = a["grid_height"] * a["grid_width"]
    tokens = torch.randint(0, a["vocab_size"], (3, n - 1), generator=generator)
    labels = torch.tensor([0, 3, a["num_classes"]])  # two real classes and the null class
    with torch.no_grad():
        logits = model(tokens, labels)
    os.makedirs(out, exist_ok=True)
    metadata = {"format": "pt", "ibq.reference_class": "autoregressive.models.gpt.Transformer",
                "ibq.model_args": json.dumps(a)}
    write_safetensors(os.path.join(out, "ar-tiny.safetensors"), state_tensors(model), metadata)
    write_safetensors(os.path.join(out, "ar-expected.safetensors"), {
        "tokens": ("I64", tokens.numpy().astype(np.int64)),
        "labels": ("I64", labels.numpy().astype(np.int64)),
        "logits": ("F32", logits.numpy().astype(np.float32)),
    })
    print(f"wrote {out}: {sum(p.numel() for p in model.parameters())} parameters, logits {tuple(logits.shape)}")


def read_metadata(path):
    import struct
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(n)).get("__metadata__", {})


def check(weights, tokens_file):
    args = json.loads(read_metadata(weights)["ibq.model_args"])
    model = Transformer(args).eval()
    state = read_safetensors(weights)
    model.load_state_dict(state, strict=True)  # raises on any missing or unexpected key or shape mismatch
    inputs = read_safetensors(tokens_file)
    with torch.no_grad():
        logits = model(inputs["tokens"].long(), inputs["labels"].long())
    json.dump({"keys": len(state), "shape": list(logits.shape), "logits": logits.flatten().tolist()}, sys.stdout)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_out = os.path.normpath(os.path.join(here, "..", "resources", "reference"))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd")
    m = sub.add_parser("make")
    m.add_argument("--out", default=default_out)
    c = sub.add_parser("check")
    c.add_argument("--weights", required=True)
    c.add_argument("--tokens", default=os.path.join(default_out, "ar-expected.safetensors"))
    a = p.parse_args()
    torch.set_num_threads(1)
    if a.cmd == "check":
        check(a.weights, a.tokens)
    else:
        make(getattr(a, "out", default_out))


if __name__ == "__main__":
    main()
