#!/usr/bin/env python3
"""The PyTorch side of the `./ibq encode --idx test` benchmark: the same job in PyTorch eager, end to end.

It does what `./ibq encode --model EXPORT --idx test --out tokens.avro` does, as a user would write it in Python:
read Fashion-MNIST's gzipped IDX file, pad each 28x28 image to 32x32 with black (the fashion-mnist-32
preprocessing: pad=0, x / 127.5 - 1), run the encoder, the 1x1 quant_conv and IBQ's maximum inner product
(argmax over z . C) in batches under torch.inference_mode, and write the token ids (int16, one row per image) to a
.npy file. The weights are a tokenizer checkpoint's EMA weights (checkpoints/step-N/model.safetensors, the
reference's key layout) built into the module tree of training/src/test/python/make_reference_fixture.py (the
project's own taming-layout PyTorch modules), with the checkpoint's GroupNorm group count.

Run with Debian's python3-torch:
  /usr/bin/python3 training/benchmarks/encode_pytorch.py --checkpoint runs/X/checkpoints/last \\
      --idx /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz --threads 2 --out /tmp/tokens.npy

It prints one line: images, seconds inside the script (after `import torch`), images/s. (That the two sides give
the same tokens rests on the export's ONNX-vs-DJL parity check and on the importer tests (ReferenceRoundTripTest and its kin), which check
this module tree against the Java one.)
"""
import argparse
import gzip
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src", "test", "python"))
import make_reference_fixture as ref  # noqa: E402  (the project's taming-layout module tree)


def read_config(checkpoint):
    """The architecture block of the checkpoint's config.yaml (our snake_case run config)."""
    import yaml
    with open(os.path.join(checkpoint, "config.yaml")) as f:
        config = yaml.safe_load(f)
    return config["architecture"]


def build_encoder(arch):
    groups = arch["group_norm_groups"]
    ref.norm = lambda channels: nn.GroupNorm(num_groups=groups, num_channels=channels, eps=1e-6, affine=True)
    dd = dict(double_z=False, z_channels=arch["z_channels"], resolution=arch["resolution"],
              in_channels=arch["in_channels"], out_ch=arch["out_channels"], ch=arch["ch"], ch_mult=arch["ch_mult"],
              num_res_blocks=arch["num_res_blocks"], attn_resolutions=arch["attn_resolutions"], dropout=0.0)
    if arch["quantizer"] != "IBQ":
        raise SystemExit(f"this benchmark encodes IBQ tokenizers; the checkpoint's quantizer is {arch['quantizer']}")
    return ref.TinyIBQ(with_loss=False, ddconfig=dd, n_embed=arch["codebook_size"], embed_dim=arch["code_dim"])


def read_idx_images(path, limit):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, count, rows, cols = np.frombuffer(data[:16], dtype=">i4")
    if magic != 2051:
        raise SystemExit(f"{path} is not an IDX image file (magic {magic})")
    images = np.frombuffer(data[16:], dtype=np.uint8).reshape(count, rows, cols)
    return images[:limit] if limit else images


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", required=True, help="checkpoint directory with config.yaml and model.safetensors")
    p.add_argument("--idx", default="/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0 = torch's default)")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    start = time.perf_counter()
    if a.threads:
        torch.set_num_threads(a.threads)
    arch = read_config(a.checkpoint)
    model = build_encoder(arch).eval()
    state = ref.read_safetensors(os.path.join(a.checkpoint, "model.safetensors"))
    model.load_state_dict(state, strict=True)
    images = read_idx_images(a.idx, a.limit)
    size = arch["resolution"]
    pad_y, pad_x = (size - images.shape[1]) // 2, (size - images.shape[2]) // 2
    out = []
    with torch.inference_mode():
        for b in range(0, len(images), a.batch_size):
            batch = images[b:b + a.batch_size]
            x = np.zeros((len(batch), 1, size, size), dtype=np.float32)  # pad=0 -> -1 after scaling
            x[:, 0, pad_y:pad_y + batch.shape[1], pad_x:pad_x + batch.shape[2]] = batch
            x = torch.from_numpy(x) / 127.5 - 1.0
            z = model.quant_conv(model.encoder(x))  # (B, D, h, w)
            logits = torch.einsum("bdhw,nd->bnhw", z, model.quantize.embedding.weight)
            out.append(logits.argmax(dim=1).reshape(len(batch), -1).to(torch.int16).numpy())
    tokens = np.concatenate(out)
    np.save(a.out, tokens)
    seconds = time.perf_counter() - start
    print(f"encoded {len(tokens)} images in {seconds:.2f} s ({len(tokens) / seconds:.1f} images/s, "
          f"{torch.get_num_threads()} torch threads)")


if __name__ == "__main__":
    main()
