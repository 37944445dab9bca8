#!/usr/bin/env python3
"""Reference fixture for the SEED-Voken / taming checkpoint importer (training/.../importer).

This script defines its OWN tiny PyTorch module tree with the reference key layout (taming's Encoder / Decoder /
ResnetBlock / AttnBlock naming as SEED-Voken's src/IBQ/modules/diffusionmodules/model.py uses it, quant_conv,
post_quant_conv, quantize.embedding.weight, LitEma's model_ema.<name without dots> shadows, a loss.* discriminator
and LPIPS-like buffers). It is written from the reference's behaviour, not copied from it. IBQ's encoder side:
logits = z . C (no normalisation), index = argmax of softmax(logits) over the codes (as IndexPropagationQuantize).

  make   (default) random init, saves under OUT (default: ../resources/reference):
         tiny-ibq.yaml                 the run config in SEED-Voken's LightningCLI layout
         tiny-ibq.ckpt                 a Lightning-layout checkpoint {"state_dict", "epoch", "global_step", ...}
         tiny-ibq-ema.safetensors      the EMA generator weights alone, BF16, reference keys
         tiny-vq.yaml                  the same architecture as taming's VQModel (VectorQuantizer2), for the same weights
         hostile.ckpt                  a torch.save whose pickle calls os.system (must be refused)
         lightning-extras.ckpt         a small state dict beside Adam state, callback states, numpy / pathlib / Namespace
         images/NN-name.png            16x16 RGB crops of the photos python3-skimage ships
         expected.safetensors          inputs, token ids, logit margins and decoder outputs per weight set
  make-paper --config YAML --out X.ckpt   a random-init model of the YAML's size in Lightning's layout (not committed)
  check  loads a state dict written by the Java side (--weights X.safetensors) into the same module tree (or one built
         from --config YAML) with load_state_dict(strict=True), encodes the PNGs of --images DIR and prints
         {"images", "tokens", "margins", "decoded"} as JSON (decoded: the decoder's output on its own tokens).

Run with Debian's python3-torch (1.13) and python3-skimage: /usr/bin/python3 make_reference_fixture.py make
"""
import argparse
import collections
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# The tiny architecture: GroupNorm(32) is fixed in the reference, so 32 channels is the least; 2 levels (one
# Downsample / Upsample), attention at the 8x8 level and in the mid block, 16x16 RGB -> 8x8 tokens.
DDCONFIG = dict(double_z=False, z_channels=16, resolution=16, in_channels=3, out_ch=3, ch=32, ch_mult=[1, 1],
                num_res_blocks=1, attn_resolutions=[8], dropout=0.0)
N_EMBED = 64
EMBED_DIM = 8
PHOTOS = ["astronaut.png", "coffee.png", "chelsea.png", "rocket.jpg", "motorcycle_left.png", "hubble_deep_field.jpg",
          "ihc.png", "retina.jpg"]
DECODED_IMAGES = 4
SKIMAGE_DATA = "/usr/lib/python3/dist-packages/skimage/data"


def norm(channels):
    return nn.GroupNorm(num_groups=32, num_channels=channels, eps=1e-6, affine=True)


def swish(x):
    return x * torch.sigmoid(x)


class ResnetBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.norm1 = norm(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, 1, 1)
        self.norm2 = norm(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        self.nin_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x):
        h = self.conv1(swish(self.norm1(x)))
        h = self.conv2(swish(self.norm2(h)))
        return (x if self.nin_shortcut is None else self.nin_shortcut(x)) + h


class AttnBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.norm = norm(c)
        self.q, self.k, self.v, self.proj_out = (nn.Conv2d(c, c, 1) for _ in range(4))

    def forward(self, x):
        h = self.norm(x)
        b, c, hh, ww = x.shape
        q = self.q(h).reshape(b, c, hh * ww).permute(0, 2, 1)  # (B, N, C)
        k = self.k(h).reshape(b, c, hh * ww)  # (B, C, N)
        w = torch.softmax(torch.bmm(q, k) * (c ** -0.5), dim=2)  # (B, Nq, Nk)
        v = self.v(h).reshape(b, c, hh * ww)
        out = torch.bmm(v, w.permute(0, 2, 1)).reshape(b, c, hh, ww)
        return x + self.proj_out(out)


class Downsample(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, 2, 0)

    def forward(self, x):
        return self.conv(F.pad(x, (0, 1, 0, 1)))


class Upsample(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, 1, 1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class Level(nn.Module):
    pass


class Encoder(nn.Module):
    def __init__(self, ch, ch_mult, num_res_blocks, attn_resolutions, in_channels, resolution, z_channels, **_):
        super().__init__()
        self.conv_in = nn.Conv2d(in_channels, ch, 3, 1, 1)
        self.down = nn.ModuleList()
        res = resolution
        mult_in = [1] + list(ch_mult)
        for i, m in enumerate(ch_mult):
            level = Level()
            level.block, level.attn = nn.ModuleList(), nn.ModuleList()
            cin = ch * mult_in[i]
            for _ in range(num_res_blocks):
                level.block.append(ResnetBlock(cin, ch * m))
                cin = ch * m
                if res in attn_resolutions:
                    level.attn.append(AttnBlock(cin))
            if i != len(ch_mult) - 1:
                level.downsample = Downsample(cin)
                res //= 2
            self.down.append(level)
        self.mid = Level()
        self.mid.block_1, self.mid.attn_1, self.mid.block_2 = ResnetBlock(cin, cin), AttnBlock(cin), ResnetBlock(cin, cin)
        self.norm_out = norm(cin)
        self.conv_out = nn.Conv2d(cin, z_channels, 3, 1, 1)

    def forward(self, x):
        h = self.conv_in(x)
        for level in self.down:
            for j, block in enumerate(level.block):
                h = block(h)
                if len(level.attn) > 0:
                    h = level.attn[j](h)
            if hasattr(level, "downsample"):
                h = level.downsample(h)
        h = self.mid.block_2(self.mid.attn_1(self.mid.block_1(h)))
        return self.conv_out(swish(self.norm_out(h)))


class Decoder(nn.Module):
    def __init__(self, ch, ch_mult, num_res_blocks, attn_resolutions, out_ch, resolution, z_channels, **_):
        super().__init__()
        cin = ch * ch_mult[-1]
        res = resolution // 2 ** (len(ch_mult) - 1)
        self.conv_in = nn.Conv2d(z_channels, cin, 3, 1, 1)
        self.mid = Level()
        self.mid.block_1, self.mid.attn_1, self.mid.block_2 = ResnetBlock(cin, cin), AttnBlock(cin), ResnetBlock(cin, cin)
        self.up = nn.ModuleList()
        for i in reversed(range(len(ch_mult))):
            level = Level()
            level.block, level.attn = nn.ModuleList(), nn.ModuleList()
            for _ in range(num_res_blocks + 1):
                level.block.append(ResnetBlock(cin, ch * ch_mult[i]))
                cin = ch * ch_mult[i]
                if res in attn_resolutions:
                    level.attn.append(AttnBlock(cin))
            if i != 0:
                level.upsample = Upsample(cin)
                res *= 2
            self.up.insert(0, level)  # up[0] is the full-resolution level, as in the reference
        self.norm_out = norm(cin)
        self.conv_out = nn.Conv2d(cin, out_ch, 3, 1, 1)

    def forward(self, z):
        h = self.conv_in(z)
        h = self.mid.block_2(self.mid.attn_1(self.mid.block_1(h)))
        for i in reversed(range(len(self.up))):
            level = self.up[i]
            for j, block in enumerate(level.block):
                h = block(h)
                if len(level.attn) > 0:
                    h = level.attn[j](h)
            if hasattr(level, "upsample"):
                h = level.upsample(h)
        return self.conv_out(swish(self.norm_out(h)))


class IndexPropagationQuantize(nn.Module):
    def __init__(self, n_e, e_dim):
        super().__init__()
        self.embedding = nn.Embedding(n_e, e_dim)

    def logits(self, z):
        return torch.einsum("bdhw,nd->bnhw", z, self.embedding.weight)  # (B, K, h, w)

    def indices(self, z):
        return torch.softmax(self.logits(z), dim=1).max(dim=1)[1]  # (B, h, w), as the reference takes it


class VectorQuantizer2(nn.Module):
    """taming's VectorQuantizer2 at inference: nearest code by squared L2 distance, computed as the reference does."""

    def __init__(self, n_e, e_dim):
        super().__init__()
        self.embedding = nn.Embedding(n_e, e_dim)

    def distances(self, z):
        zf = z.permute(0, 2, 3, 1).reshape(-1, z.shape[1])  # (B*h*w, D)
        e = self.embedding.weight
        return torch.sum(zf ** 2, dim=1, keepdim=True) + torch.sum(e ** 2, dim=1) - 2 * torch.einsum("bd,dn->bn", zf, e.t())

    def indices(self, z):
        b, _, h, w = z.shape
        return torch.argmin(self.distances(z), dim=1).reshape(b, h, w)


class TinyDiscriminatorLoss(nn.Module):
    """Stands in for VQLPIPSWithDiscriminator: a PatchGAN-style discriminator and frozen LPIPS-like tensors."""

    def __init__(self):
        super().__init__()
        self.discriminator = nn.Module()
        self.discriminator.main = nn.Sequential(nn.Conv2d(3, 4, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(4, 1, 4, 1, 1))
        self.perceptual_loss = nn.Module()
        self.perceptual_loss.scaling_layer = nn.Module()
        self.perceptual_loss.scaling_layer.register_buffer("shift", torch.tensor([-.030, -.088, -.188])[None, :, None, None])
        self.perceptual_loss.lin0 = nn.Conv2d(3, 1, 1, bias=False)
        for p in self.perceptual_loss.parameters():
            p.requires_grad = False  # LPIPS is frozen in the reference, so LitEma keeps no shadow of it


class LitEmaLike(nn.Module):
    """LitEma's state: decay, num_updates (-1: no warm-up) and one buffer per trainable parameter, dots removed."""

    def __init__(self, model):
        super().__init__()
        self.register_buffer("decay", torch.tensor(0.999, dtype=torch.float32))
        self.register_buffer("num_updates", torch.tensor(-1, dtype=torch.int))
        for name, p in model.named_parameters():
            if p.requires_grad:
                self.register_buffer(name.replace(".", ""), p.clone().detach().data)


class TinyIBQ(nn.Module):
    def __init__(self, with_loss=True, ddconfig=None, n_embed=N_EMBED, embed_dim=EMBED_DIM):
        super().__init__()
        ddconfig = ddconfig or DDCONFIG
        self.encoder = Encoder(**ddconfig)
        self.decoder = Decoder(**ddconfig)
        if with_loss:
            self.loss = TinyDiscriminatorLoss()
        self.quantize = IndexPropagationQuantize(n_embed, embed_dim)
        self.quant_conv = nn.Conv2d(ddconfig["z_channels"], embed_dim, 1)
        self.post_quant_conv = nn.Conv2d(embed_dim, ddconfig["z_channels"], 1)

    def encode(self, x):
        z = self.quant_conv(self.encoder(x))
        if isinstance(self.quantize, VectorQuantizer2):
            b, _, h, w = z.shape
            low2 = self.quantize.distances(z).topk(2, dim=1, largest=False).values  # (N, 2)
            return self.quantize.indices(z), (low2[:, 1] - low2[:, 0]).reshape(b, h, w)
        logits = self.quantize.logits(z)
        top2 = logits.topk(2, dim=1).values
        return self.quantize.indices(z), top2[:, 0] - top2[:, 1]

    def decode_code(self, tokens):
        q = self.quantize.embedding(tokens).permute(0, 3, 1, 2)  # (B, D, h, w)
        return self.decoder(self.post_quant_conv(q))


def generator_state(model):
    return collections.OrderedDict(
        (k, v) for k, v in model.state_dict().items() if not k.startswith("loss.") and not k.startswith("model_ema."))


# ---- safetensors with numpy (python3 has no safetensors package in Debian) ----
def write_safetensors(path, tensors, metadata=None):
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, (dtype, array) in tensors.items():
        raw = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        raw = data[b:end]
        if e["dtype"] == "F32":
            t = torch.from_numpy(np.frombuffer(raw, dtype="<f4").copy())
        elif e["dtype"] == "I64":
            t = torch.from_numpy(np.frombuffer(raw, dtype="<i8").copy())
        elif e["dtype"] == "I32":
            t = torch.from_numpy(np.frombuffer(raw, dtype="<i4").copy())
        elif e["dtype"] == "BF16":
            t = torch.from_numpy(np.frombuffer(raw, dtype="<i2").copy()).view(torch.bfloat16).float()
        elif e["dtype"] == "F16":
            t = torch.from_numpy(np.frombuffer(raw, dtype="<f2").copy()).float()
        else:
            raise SystemExit(f"{path}: tensor {name} has dtype {e['dtype']}, which this script does not read")
        out[name] = t.reshape(e["shape"])
    return out


def load_images(directory):
    from PIL import Image
    names = sorted(n for n in os.listdir(directory) if n.endswith(".png"))
    arrays = [np.asarray(Image.open(os.path.join(directory, n)).convert("RGB"), dtype=np.uint8) for n in names]
    x = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).float() / 127.5 - 1.0  # (B, 3, H, W) in [-1, 1]
    return names, x


def make_images(directory, size):
    from PIL import Image
    os.makedirs(directory, exist_ok=True)
    for i, name in enumerate(PHOTOS):
        img = Image.open(os.path.join(SKIMAGE_DATA, name)).convert("RGB")
        w, h = img.size
        s = min(w, h)
        img = img.crop(((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s)).resize((size, size), Image.BOX)
        img.save(os.path.join(directory, f"{i:02d}-{os.path.splitext(name)[0]}.png"))


def yaml_text():
    dd = DDCONFIG
    return f"""# Written by training/src/test/python/make_reference_fixture.py: a tiny IBQ in SEED-Voken's LightningCLI layout
# (compare configs/IBQ/gpu/imagenet_ibqgan_16384.yaml), random weights.
seed_everything: true
trainer:
  accelerator: cpu
  max_epochs: 1
model:
  class_path: src.IBQ.models.ibqgan.IBQ
  init_args:
    ddconfig:
      double_z: False
      z_channels: {dd['z_channels']}
      resolution: {dd['resolution']}
      in_channels: {dd['in_channels']}
      out_ch: {dd['out_ch']}
      ch: {dd['ch']}
      ch_mult: [ {', '.join(map(str, dd['ch_mult']))} ]  # num_down = len(ch_mult)-1
      num_res_blocks: {dd['num_res_blocks']}
      attn_resolutions: [{', '.join(map(str, dd['attn_resolutions']))}]
      dropout: 0.0
    lossconfig:
      target: src.IBQ.modules.losses.vqperceptual.VQLPIPSWithDiscriminator
      params:
        disc_conditional: False
        disc_in_channels: 3
        disc_start: 0
        disc_weight: 0.4
        quant_loss_weight: 1.0
        entropy_loss_weight: 0.05
        gen_loss_weight: 0.1
        lecam_loss_weight: 0.05
    n_embed: {N_EMBED}
    embed_dim: {EMBED_DIM}
    learning_rate: 1e-4
    l2_normalize: False
    use_entropy_loss: True
    sample_minimization_weight: 1.0
    batch_maximization_weight: 1.0
    entropy_temperature: 0.01
    beta: 0.25
    use_ema: True
    resume_lr:
    lr_drop_epoch: [250, 300]
data:
  class_path: main.DataModuleFromConfig
  init_args:
    batch_size: 4
ckpt_path: null
"""


class Hostile:
    """Pickles as a call of os.system: what a malicious checkpoint does. Never unpickled here."""

    def __reduce__(self):
        return (os.system, ("echo this checkpoint ran a shell command",))


def lightning_extras(path):
    """A small checkpoint with what Lightning stores beside the weights: Adam's state, callback states, loops,
    hyper-parameters holding argparse.Namespace / pathlib / numpy objects. The reader must take the state dict and
    keep the rest as inert data."""
    import argparse
    import pathlib
    tiny = nn.Sequential(nn.Conv2d(3, 4, 3), nn.GroupNorm(2, 4))
    opt = torch.optim.Adam(tiny.parameters(), lr=1e-4, betas=(0.5, 0.9))
    tiny(torch.randn(1, 3, 5, 5)).sum().backward()
    opt.step()
    ckpt = {
        "epoch": 7, "global_step": 42, "pytorch-lightning_version": "2.4.0",
        "state_dict": collections.OrderedDict(tiny.state_dict()),
        "optimizer_states": [opt.state_dict()],
        "lr_schedulers": [],
        "callbacks": {"ModelCheckpoint{'monitor': 'train/perceptual_loss', 'mode': 'min'}": {
            "monitor": "train/perceptual_loss", "best_model_score": torch.tensor(0.25), "best_model_path": "/ckpt/epoch=6.ckpt",
            "best_k_models": {"/ckpt/epoch=6.ckpt": torch.tensor(0.25)}, "kth_value": torch.tensor(0.3),
            "dirpath": pathlib.PosixPath("/ckpt"), "last_model_path": "/ckpt/last.ckpt"}},
        "loops": {"fit_loop": {"state_dict": {}, "epoch_progress": {"total": {"ready": 8, "completed": 7}}}},
        "hparams_name": "kwargs",
        "hyper_parameters": {"args": argparse.Namespace(lr=1e-4, betas=(0.5, 0.9)), "seed": np.int64(3),
                             "scale": np.float32(0.5), "shape": np.zeros((2, 2), dtype=np.float32), "flags": {1, 2}},
    }
    torch.save(ckpt, path)


def randomize(model, generator):
    """Default PyTorch init for convs; GroupNorm affine away from 1/0 so that its parameters matter."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ".norm" in name or "norm_out" in name or name.split(".")[-2].startswith("norm"):
                p.copy_((1.0 if name.endswith("weight") else 0.0) + 0.1 * torch.randn(p.shape, generator=generator))


def outputs(model, x):
    with torch.no_grad():
        tokens, margin = model.encode(x)
        decoded = model.decode_code(tokens)
    return tokens, margin, decoded


def make(out):
    torch.manual_seed(20251201)
    g = torch.Generator().manual_seed(7)
    model = TinyIBQ()
    randomize(model, g)
    ema = LitEmaLike(model)  # shadows of every trainable parameter, incl. the discriminator (as LitEma(self) does)
    # The raw (last-step) weights differ from the EMA shadows, as after training.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.requires_grad:
                p.add_(0.2 * p.std().clamp(min=1e-3) * torch.randn(p.shape, generator=g))
    # NOTE: the raw generator weights are stored as float16 to keep the committed fixture under 2 MB (and to cover
    # torch.HalfStorage); a Lightning fp32 run stores them as float32. The EMA shadows stay float32.
    state = collections.OrderedDict()
    for k, v in model.state_dict().items():
        state[k] = v.half() if (not k.startswith("loss.") and v.is_floating_point()) else v
    for k, v in ema.state_dict().items():
        state["model_ema." + k] = v
    ckpt = {"epoch": 3, "global_step": 1234, "pytorch-lightning_version": "2.4.0", "state_dict": state,
            "loops": {"fit_loop": {"epoch_progress": {"current": {"completed": 3}}}}, "hparams_name": "kwargs"}
    os.makedirs(out, exist_ok=True)
    torch.save(ckpt, os.path.join(out, "tiny-ibq.ckpt"))
    torch.save({"state_dict": collections.OrderedDict(w=torch.zeros(2)), "payload": Hostile()}, os.path.join(out, "hostile.ckpt"))
    lightning_extras(os.path.join(out, "lightning-extras.ckpt"))
    with open(os.path.join(out, "tiny-ibq.yaml"), "w") as f:
        f.write(yaml_text())

    # Three weight sets, each what the importer must reproduce: EMA (fp32), raw (the fp16 values), EMA in BF16.
    gen_keys = list(generator_state(model).keys())
    ema_state = {k: ema.state_dict()[k.replace(".", "")] for k in gen_keys}
    raw_state = {k: state[k].float() for k in gen_keys}
    bf16_state = {k: v.to(torch.bfloat16) for k, v in ema_state.items()}
    write_safetensors(os.path.join(out, "tiny-ibq-ema.safetensors"),
                      {k: ("BF16", v.view(torch.int16).numpy()) for k, v in bf16_state.items()},
                      {"format": "pt", "source": "make_reference_fixture.py (EMA weights, bfloat16)"})

    make_images(os.path.join(out, "images"), DDCONFIG["resolution"])
    names, x = load_images(os.path.join(out, "images"))
    expected = {"inputs": ("F32", x.numpy())}
    reference = TinyIBQ(with_loss=False).eval()
    for label, weights in (("ema", ema_state), ("raw", raw_state), ("bf16", {k: v.float() for k, v in bf16_state.items()})):
        reference.load_state_dict(weights, strict=True)
        tokens, margin, decoded = outputs(reference, x)
        expected[f"tokens_{label}"] = ("I64", tokens.numpy().astype(np.int64))
        expected[f"margin_{label}"] = ("F32", margin.numpy())
        # Decoder outputs of the first DECODED_IMAGES images only (the fixture stays about 2 MB).
        expected[f"decoded_{label}"] = ("F32", decoded[:DECODED_IMAGES].numpy())
        print(f"{label}: {len(set(tokens.flatten().tolist()))} distinct codes of {N_EMBED}, smallest margin "
              f"{margin.min().item():.3g}, decoded range [{decoded.min().item():.3f}, {decoded.max().item():.3f}]")
    # taming's VQGAN (VectorQuantizer2) on the same BF16 weights: the tiny-vq.yaml config names taming's VQModel.
    vq = TinyIBQ(with_loss=False).eval()
    vq.quantize = VectorQuantizer2(N_EMBED, EMBED_DIM)
    vq.load_state_dict({k: v.float() for k, v in bf16_state.items()}, strict=True)
    tokens, margin, decoded = outputs(vq, x)
    expected["tokens_vq"] = ("I64", tokens.numpy().astype(np.int64))
    expected["margin_vq"] = ("F32", margin.numpy())
    expected["decoded_vq"] = ("F32", decoded[:DECODED_IMAGES].numpy())
    print(f"vq: {len(set(tokens.flatten().tolist()))} distinct codes of {N_EMBED}, smallest distance margin {margin.min().item():.3g}")
    with open(os.path.join(out, "tiny-vq.yaml"), "w") as f:
        f.write(yaml_text().replace("class_path: src.IBQ.models.ibqgan.IBQ", "class_path: taming.models.vqgan.VQModel")
                .replace("a tiny IBQ in SEED-Voken's LightningCLI layout", "a tiny taming VQGAN (VectorQuantizer2)"))
    write_safetensors(os.path.join(out, "expected.safetensors"), expected, {"images": ",".join(names)})
    print("wrote", out)


def model_args(config):
    """ddconfig, n_embed, embed_dim of a SEED-Voken (model.init_args) or taming (model.params) YAML."""
    import yaml
    with open(config) as f:
        model = yaml.safe_load(f)["model"]
    args = model.get("init_args") or model.get("params")
    return dict(ddconfig=args["ddconfig"], n_embed=args["n_embed"], embed_dim=args["embed_dim"])


def check(weights, images, config=None):
    state = read_safetensors(weights)
    model = TinyIBQ(with_loss=False, **(model_args(config) if config else {})).eval()
    result = model.load_state_dict(state, strict=True)  # raises on any missing / unexpected key or shape
    names, x = load_images(images)
    tokens, margin, decoded = outputs(model, x)
    print(json.dumps({"images": names, "tokens": tokens.reshape(len(names), -1).tolist(),
                      "margins": margin.reshape(len(names), -1).tolist(),
                      "decoded": decoded.reshape(len(names), -1).tolist(), "load_state_dict": str(result)}))


def make_paper(out, config):
    """A random-init model at the config's (the paper's) size, saved as a Lightning checkpoint with LitEma shadows.

    Not committed (about 0.7 GB at K = 16384): for the real-photo run and the paper-scale benchmark only.
    Its weights are random: it tests the mechanics (import, export, encode, decode), not image quality.
    """
    args = model_args(config)
    torch.manual_seed(1)
    model = TinyIBQ(with_loss=False, **args)
    ema = LitEmaLike(model)
    state = collections.OrderedDict(model.state_dict())
    for k, v in ema.state_dict().items():
        state["model_ema." + k] = v
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    torch.save({"epoch": 0, "global_step": 0, "state_dict": state}, out)
    n = sum(p.numel() for p in model.parameters())
    print(f"wrote {out}: {n / 1e6:.1f} M generator parameters (raw + EMA shadows), random init")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd")
    m = sub.add_parser("make")
    m.add_argument("--out", default=os.path.join(here, "..", "resources", "reference"))
    c = sub.add_parser("check")
    c.add_argument("--weights", required=True)
    c.add_argument("--images", required=True)
    c.add_argument("--config", help="build the module tree from this YAML instead of the fixture's architecture")
    mp = sub.add_parser("make-paper")
    mp.add_argument("--config", required=True)
    mp.add_argument("--out", required=True)
    a = p.parse_args()
    torch.set_num_threads(1)
    if a.cmd == "check":
        check(a.weights, a.images, a.config)
    elif a.cmd == "make-paper":
        make_paper(a.out, a.config)
    else:
        make(os.path.normpath(getattr(a, "out", os.path.join(here, "..", "resources", "reference"))))


if __name__ == "__main__":
    main()
