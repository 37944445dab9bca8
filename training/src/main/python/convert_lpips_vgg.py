#!/usr/bin/env python3
"""Converts LPIPS-VGG's two PyTorch weight files into the one safetensors file the Java trainer reads.

Inputs (the user downloads both; this project downloads nothing):
  --vgg  torchvision's ImageNet VGG16 weights, vgg16-397923af.pth
         (https://download.pytorch.org/models/vgg16-397923af.pth, what torchvision.models.vgg16(pretrained=True) loads)
  --lin  lpips' learned linear layers for VGG, lpips/weights/v0.1/vgg.pth in https://github.com/richzhang/PerceptualSimilarity
         (also inside `pip install lpips`; taming-transformers downloads the same file, md5 d507d7349b931f0638a25a48a722f98a)
Output (--out): lpips-vgg.safetensors with exactly 31 float32 tensors, in this order:
  net.slice1.0.weight (64, 3, 3, 3), net.slice1.0.bias (64), net.slice1.2.*, net.slice2.5.*, net.slice2.7.*,
  net.slice3.10.*, .12.*, .14.*, net.slice4.17.*, .19.*, .21.*, net.slice5.24.*, .26.*, .28.*
      torchvision's features.N.{weight,bias}, under the LPIPS slice holding index N (lpips.pretrained_networks.vgg16)
  lin0.model.1.weight (1, 64, 1, 1) ... lin4.model.1.weight (1, 512, 1, 1)   copied from vgg.pth as they are
and __metadata__ {"format": "lpips-vgg", "widths": "64,128,256,512,512", "vgg_md5", "lin_md5"}.
torchvision's classifier.* tensors are not needed and are left out.

Usage (Debian's python3-torch 1.13; no torchvision needed):
  /usr/bin/python3 training/src/main/python/convert_lpips_vgg.py --vgg vgg16-397923af.pth --lin vgg.pth \
      --out lpips-vgg.safetensors
"""
import argparse
import collections
import hashlib
import json
import struct
import sys

import numpy as np
import torch

# torchvision's vgg16().features indices of the 13 convolutions, per LPIPS slice (relu1_2 ... relu5_3).
CONV_INDICES = [[0, 2], [5, 7], [10, 12, 14], [17, 19, 21], [24, 26, 28]]
VGG16_WIDTHS = [64, 128, 256, 512, 512]


class ConversionError(Exception):
    pass


def load_state_dict(path, what):
    """torch.load with the code-free unpickler where this torch has it (1.13 does), of a plain state dict."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except TypeError:  # torch < 1.13: no weights_only
        state = torch.load(path, map_location="cpu")
    except FileNotFoundError:
        raise ConversionError(f"{what} file {path} does not exist.")
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ConversionError(f"{path} holds a {type(state).__name__}, not a state dict of tensors ({what}).")
    return state


def lpips_vgg_state(vgg_state, lin_state):
    """The 31 LPIPS-VGG tensors (key -> float32 numpy array) from torchvision's and lpips' state dicts.

    Every key and shape is checked: the convolutions must chain (3 input channels, each one's input is the previous
    one's output, 3x3 kernels), and each lin weight must be (1, C, 1, 1) with C the width of its slice and >= 0.
    Widths other than VGG16's are accepted (the test fixture uses smaller ones) and reported in the metadata.
    """
    out = collections.OrderedDict()
    widths = []
    channels_in = 3
    for s, indices in enumerate(CONV_INDICES):
        for index in indices:
            for part in ("weight", "bias"):
                key = f"features.{index}.{part}"
                if key not in vgg_state:
                    raise ConversionError(
                        f"The VGG16 file has no {key}; expected torchvision's vgg16 state dict (features.0.weight ... "
                        f"features.28.bias), e.g. vgg16-397923af.pth. Its keys start with {sorted(vgg_state)[:5]}.")
            weight = vgg_state[f"features.{index}.weight"].detach().to(torch.float32).numpy()
            bias = vgg_state[f"features.{index}.bias"].detach().to(torch.float32).numpy()
            if weight.ndim != 4 or weight.shape[1] != channels_in or weight.shape[2:] != (3, 3):
                raise ConversionError(
                    f"features.{index}.weight has shape {tuple(weight.shape)}; VGG16 expects (out, {channels_in}, 3, 3) there.")
            if index == indices[0]:
                widths.append(weight.shape[0])
            elif weight.shape[0] != widths[-1]:
                raise ConversionError(
                    f"features.{index}.weight has {weight.shape[0]} outputs; its slice is {widths[-1]} channels wide.")
            if bias.shape != (weight.shape[0],):
                raise ConversionError(f"features.{index}.bias has shape {tuple(bias.shape)}; expected ({weight.shape[0]},).")
            out[f"net.slice{s + 1}.{index}.weight"] = weight
            out[f"net.slice{s + 1}.{index}.bias"] = bias
            channels_in = weight.shape[0]
    for i, width in enumerate(widths):
        key = f"lin{i}.model.1.weight"
        if key not in lin_state:
            raise ConversionError(
                f"The lpips file has no {key}; expected lpips' weights/v0.1/vgg.pth (lin0.model.1.weight ... "
                f"lin4.model.1.weight). Its keys are {sorted(lin_state)[:8]}.")
        lin = lin_state[key].detach().to(torch.float32).numpy()
        if lin.shape != (1, width, 1, 1):
            raise ConversionError(f"{key} has shape {tuple(lin.shape)}; the VGG slice {i + 1} needs (1, {width}, 1, 1).")
        if (lin < 0).any():
            raise ConversionError(f"{key} has negative weights (min {lin.min()}); LPIPS' lin weights are non-negative.")
        out[key] = lin
    return out, widths


def write_safetensors(path, tensors, metadata):
    """Writes name -> numpy array (float32 / float64, little-endian) as safetensors, in the given order."""
    dtypes = {np.dtype("float32"): "F32", np.dtype("float64"): "F64", np.dtype("int64"): "I64"}
    header = {"__metadata__": {k: str(v) for k, v in metadata.items()}}
    blobs = []
    offset = 0
    for name, array in tensors.items():
        array = np.ascontiguousarray(array)
        data = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": dtypes[array.dtype], "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the format recommends an 8-byte aligned data section
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def md5(path):
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


def convert(vgg_path, lin_path, out_path):
    tensors, widths = lpips_vgg_state(load_state_dict(vgg_path, "VGG16"), load_state_dict(lin_path, "lpips"))
    metadata = {"format": "lpips-vgg", "widths": ",".join(str(w) for w in widths), "vgg_md5": md5(vgg_path),
                "lin_md5": md5(lin_path)}
    write_safetensors(out_path, tensors, metadata)
    return widths


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vgg", required=True, help="torchvision's vgg16-397923af.pth")
    parser.add_argument("--lin", required=True, help="lpips' weights/v0.1/vgg.pth")
    parser.add_argument("--out", required=True, help="the safetensors file to write, e.g. lpips-vgg.safetensors")
    args = parser.parse_args(argv)
    try:
        widths = convert(args.vgg, args.lin, args.out)
    except ConversionError as e:
        print(f"convert_lpips_vgg: {e}", file=sys.stderr)
        return 2
    note = "" if widths == VGG16_WIDTHS else f" (NOT VGG16's widths {VGG16_WIDTHS}: a test network, not LPIPS)"
    print(f"wrote {args.out}: 31 tensors, slice widths {widths}{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
