#!/usr/bin/env python3
"""Fixture for the Java LPIPS-VGG (training/.../tokenizer/LpipsVgg): a reduced-width network and what LPIPS computes.

The network is this script's OWN tiny module tree with torchvision's VGG16 `features` topology and key layout
(configuration "D": 13 conv3x3 + ReLU, 5 max-pools, keys features.0.weight ... features.28.bias, plus a small
classifier.* the converter must drop) at 1/16 of VGG16's widths (4, 8, 16, 32, 32, so the file stays ~200 KB), random
init with a fixed seed, and lpips-layout lin weights (lin0.model.1.weight ... lin4.model.1.weight, non-negative). Both
are torch.save'd to a temporary folder and converted with convert_lpips_vgg.convert, the converter's own code path.

The expected values come from this script's re-statement of lpips.LPIPS(net='vgg', version='0.1') in eval mode
(ScalingLayer, the five VGG slices, normalize_tensor with eps 1e-10, squared difference, the 1x1 lin conv without
bias after a Dropout that eval mode turns off, spatial average, sum over layers), run in float64 from the float32
weights. With --lpips-source DIR (a checkout of github.com/richzhang/PerceptualSimilarity), the same values are also
computed by lpips' own LPIPS class (torchvision stubbed to hand it this tiny `features`, its lin layers rebuilt at
the tiny widths) and the script fails unless both agree.

Writes under OUT (default: ../resources/lpips):
  lpips-vgg-tiny.safetensors   the converter's output for the tiny network (F32, 31 tensors)
  expected.safetensors         per case (rgb: 3 photo pairs 3x32x32 from skimage; gray: 2 Fashion-MNIST test images
                               padded to 32x32): <case>_target, <case>_reconstruction (F32), <case>_lpips (B, F64:
                               per-image LPIPS) and <case>_grad (F64: d mean_b LPIPS / d reconstruction)

Run with Debian's python3-torch (1.13): /usr/bin/python3 training/src/test/python/make_lpips_fixture.py
"""
import argparse
import collections
import gzip
import os
import sys
import tempfile
import types

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "main", "python"))
import convert_lpips_vgg  # noqa: E402

WIDTHS = [4, 8, 16, 32, 32]  # VGG16's 64, 128, 256, 512, 512 divided by 16
SEED = 20261201
SKIMAGE_DATA = "/usr/lib/python3/dist-packages/skimage/data"
PHOTOS = ["astronaut.png", "coffee.png", "chelsea.png"]
FASHION_MNIST = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"


def tiny_vgg16_features():
    """torchvision's vgg16().features layout (cfg D) at WIDTHS: indices 0..30 as in torchvision."""
    layers = []
    channels = 3
    for s, width in enumerate(WIDTHS):
        if s > 0:
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        for _ in range(2 if s < 2 else 3):
            layers.append(nn.Conv2d(channels, width, kernel_size=3, padding=1))
            layers.append(nn.ReLU(inplace=True))
            channels = width
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))  # index 30, unused by LPIPS
    return nn.Sequential(*layers)


class LinLayer(nn.Module):
    """lpips' NetLinLayer: Dropout then a 1x1 conv to one channel, no bias (keys model.1.weight)."""

    def __init__(self, channels):
        super().__init__()
        self.model = nn.Sequential(nn.Dropout(), nn.Conv2d(channels, 1, 1, stride=1, padding=0, bias=False))


class LpipsVggReference(nn.Module):
    """LPIPS-VGG (version 0.1) forward, restated from the lpips source: per-image distances (B, 1, 1, 1)."""

    def __init__(self, features, widths):
        super().__init__()
        self.register_buffer("shift", torch.tensor([-.030, -.088, -.188])[None, :, None, None])
        self.register_buffer("scale", torch.tensor([.458, .448, .450])[None, :, None, None])
        bounds = [(0, 4), (4, 9), (9, 16), (16, 23), (23, 30)]
        self.slices = nn.ModuleList(nn.Sequential(*[features[i] for i in range(a, b)]) for a, b in bounds)
        self.lins = nn.ModuleList(LinLayer(w) for w in widths)

    def forward(self, in0, in1):
        h0, h1 = (in0 - self.shift) / self.scale, (in1 - self.shift) / self.scale
        total = 0
        for block, lin in zip(self.slices, self.lins):
            h0, h1 = block(h0), block(h1)
            f0 = h0 / (torch.sqrt(torch.sum(h0 ** 2, dim=1, keepdim=True)) + 1e-10)
            f1 = h1 / (torch.sqrt(torch.sum(h1 ** 2, dim=1, keepdim=True)) + 1e-10)
            total = total + lin.model((f0 - f1) ** 2).mean([2, 3], keepdim=True)
        return total


def photos():
    from skimage import io, transform
    out = []
    for name in PHOTOS:
        image = io.imread(os.path.join(SKIMAGE_DATA, name))[..., :3].astype(np.float64) / 255.0
        side = min(image.shape[:2])
        image = image[:side, :side]
        image = transform.resize(image, (32, 32), anti_aliasing=True)
        out.append(image.transpose(2, 0, 1) * 2 - 1)
    return np.stack(out).astype(np.float32)  # (3, 3, 32, 32)


def fashion_mnist(count):
    with gzip.open(FASHION_MNIST, "rb") as f:
        data = f.read()
    images = np.frombuffer(data, dtype=np.uint8, offset=16).reshape(-1, 28, 28)[:count]
    padded = np.full((count, 1, 32, 32), -1.0, dtype=np.float32)
    padded[:, 0, 2:30, 2:30] = images / 127.5 - 1
    return padded


def degrade(images, rng):
    """A plausible 'reconstruction': 3x3 box blur plus Gaussian noise, clipped to [-1, 1]."""
    padded = np.pad(images, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="edge")
    blurred = sum(padded[:, :, i:i + 32, j:j + 32] for i in range(3) for j in range(3)) / 9
    return np.clip(blurred + rng.normal(0, 0.1, images.shape), -1, 1).astype(np.float32)


def reference_values(model, target, reconstruction):
    rec = torch.from_numpy(reconstruction).double().requires_grad_(True)
    values = model(rec, torch.from_numpy(target).double()).reshape(-1)
    values.mean().backward()
    return values.detach().numpy(), rec.grad.numpy()


def real_lpips(source, features, lin_state, widths):
    """lpips' own LPIPS class on the tiny network: torchvision stubbed, lin layers rebuilt at the tiny widths."""
    tv_models = types.ModuleType("torchvision.models")
    tv_models.vgg16 = lambda pretrained=False, **_: types.SimpleNamespace(features=features)
    torchvision = types.ModuleType("torchvision")
    torchvision.models = tv_models
    sys.modules.setdefault("torchvision", torchvision)
    sys.modules.setdefault("torchvision.models", tv_models)
    if "tqdm" not in sys.modules:
        try:
            import tqdm  # noqa: F401
        except ImportError:
            stub = types.ModuleType("tqdm")
            stub.tqdm = lambda x, *a, **k: x
            sys.modules["tqdm"] = stub
    sys.path.insert(0, source)
    import lpips
    model = lpips.LPIPS(pretrained=False, net="vgg", version="0.1", pnet_rand=True, verbose=False)
    model.chns = widths
    model.lins = nn.ModuleList(lpips.NetLinLayer(w, use_dropout=True) for w in widths)
    for i, lin in enumerate(model.lins):
        lin.model[1].weight.data.copy_(lin_state[f"lin{i}.model.1.weight"])
    model.eval()
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(HERE, "..", "resources", "lpips"))
    parser.add_argument("--lpips-source", help="a PerceptualSimilarity checkout, to cross-check with lpips' own code")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(SEED)
    features = tiny_vgg16_features()
    vgg_state = collections.OrderedDict((f"features.{k}", v) for k, v in features.state_dict().items())
    vgg_state["classifier.0.weight"] = torch.randn(2, 2)  # torchvision's file has a classifier; the converter drops it
    lin_state = collections.OrderedDict(
        (f"lin{i}.model.1.weight", torch.rand(1, w, 1, 1) / w * 4) for i, w in enumerate(WIDTHS))
    weights_file = os.path.join(args.out, "lpips-vgg-tiny.safetensors")
    with tempfile.TemporaryDirectory() as tmp:
        vgg_path, lin_path = os.path.join(tmp, "vgg16-tiny.pth"), os.path.join(tmp, "vgg-lin-tiny.pth")
        torch.save(vgg_state, vgg_path)
        torch.save(lin_state, lin_path)
        widths = convert_lpips_vgg.convert(vgg_path, lin_path, weights_file)
    assert widths == WIDTHS, widths

    model = LpipsVggReference(features, WIDTHS)
    model.load_state_dict(
        {**{f"lins.{i}.model.1.weight": lin_state[f"lin{i}.model.1.weight"] for i in range(5)},
         **{k: v for k, v in model.state_dict().items() if not k.startswith("lins.")}}, strict=True)
    model.eval().double()
    for p in model.parameters():
        p.requires_grad_(False)
    rng = np.random.default_rng(SEED)
    cases = {"rgb": photos(), "gray": fashion_mnist(2)}
    expected = collections.OrderedDict()
    for case, target in cases.items():
        reconstruction = degrade(target, rng)
        values, grad = reference_values(model, target, reconstruction)
        values32 = model.float()(torch.from_numpy(reconstruction), torch.from_numpy(target)).reshape(-1).detach().numpy()
        model.double()
        print(f"{case}: LPIPS {values} (float32 run differs by {np.max(np.abs(values32 - values) / values):.2e} relative)")
        if args.lpips_source:
            real = real_lpips(args.lpips_source, features, lin_state, WIDTHS).double()
            rec = torch.from_numpy(reconstruction).double().requires_grad_(True)
            theirs = real(rec, torch.from_numpy(target).double()).reshape(-1)
            theirs.mean().backward()
            value_gap = np.max(np.abs(theirs.detach().numpy() - values))
            grad_gap = np.max(np.abs(rec.grad.numpy() - grad))
            print(f"{case}: lpips' own LPIPS class: max |difference| {value_gap:.2e} in values, {grad_gap:.2e} in gradients")
            if value_gap > 1e-12 or grad_gap > 1e-12:
                sys.exit(f"lpips' own code disagrees with this script's restatement on the {case} case.")
        expected[f"{case}_target"] = target
        expected[f"{case}_reconstruction"] = reconstruction
        expected[f"{case}_lpips"] = values.astype(np.float64)
        expected[f"{case}_grad"] = grad.astype(np.float64)
    convert_lpips_vgg.write_safetensors(
        os.path.join(args.out, "expected.safetensors"), expected,
        {"made_by": "training/src/test/python/make_lpips_fixture.py", "widths": ",".join(map(str, WIDTHS))})
    print(f"wrote {weights_file} and expected.safetensors under {args.out}")


if __name__ == "__main__":
    main()
