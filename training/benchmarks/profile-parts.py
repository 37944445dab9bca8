#!/usr/bin/env python3
"""Sums a libtorch trace written by the trainer's -Dibq.profile=FROM:TO into parts of the step (self time of
each operator), as the table in step-time.md. Usage: profile-parts.py RUN/profile-FROM-TO.json STEPS [PEAK_GFLOPS]
The discriminator's convolutions are told apart by their weight shapes (fmnist-sharp's 3-layer PatchGAN); a
convolution that Conv2dLayer runs in its GEMM form (the PatchGAN's 256 -> 512 layer at 32 x 32 images) is an aten::mm.

With PEAK_GFLOPS (the core's measured float32 peak, e.g. the FMA loop of bench-quantizer-peak's float32-peak.c), a
second table puts the step's convolutions and matrix products against it, the FLOPs of each call from its shapes:
  aten::mm / addmm / bmm: 2 M N K (x batch);
  aten::mkldnn_convolution: 2 x output elements x C_in x kh x kw, the output shape taken from the backward call with
    the same input and weight shapes (a convolution with no backward in the trace: output = input's size, which
    holds for the 3x3 and 1x1 stride-1 convolutions with padding that all such calls are here);
  aten::convolution_backward: the gradients of input and weight, 2 x the forward FLOPs each (an upper bound for a
    first layer, whose input gradient libtorch skips: the 1-channel image convolutions, under 1% here);
and what the step's operator time would be if every one of them ran at the peak, the rest unchanged."""
import json, sys, collections
d = json.load(open(sys.argv[1])); steps = float(sys.argv[2])
peak = float(sys.argv[3]) if len(sys.argv) > 3 else None
ev = [e for e in (d['traceEvents'] if isinstance(d, dict) else d) if e.get('ph') == 'X' and 'dur' in e]
by_tid = collections.defaultdict(list)
for e in ev: by_tid[e.get('tid')].append(e)
wall = 0; grp = collections.Counter()
def group(e):
    n = e['name']; sh = str(e.get('shape'))
    if n in ('aten::convolution_backward', 'aten::mkldnn_convolution'):
        disc = any(t in sh for t in ('[64, 1, 4, 4]', '[128, 64, 4, 4]', '[256, 128, 4, 4]', '[512, 256, 4, 4]', '[1, 512, 4, 4]'))
        return ('D ' if disc else 'G ') + ('conv backward' if 'backward' in n else 'conv forward')
    if n in ('aten::mm', 'aten::bmm', 'aten::addmm', 'aten::dot'): return 'matrix products (quantizer, attention, GEMM-form convolutions)'
    if 'softmax' in n: return 'softmax / log_softmax (fwd+bwd)'
    if 'layer_norm' in n or 'batch_norm' in n: return 'GroupNorm (layer_norm) and BatchNorm'
    if n in ('aten::_to_copy', 'aten::copy_', 'aten::empty_strided', 'aten::empty', 'aten::to', 'aten::clone', 'aten::contiguous'): return 'copies, allocations, scalar tensors'
    if n.startswith('aten::'): return 'other elementwise / reductions'
    return 'autograd bookkeeping'
for tid, es in by_tid.items():
    es.sort(key=lambda e: (e['ts'], -e['dur']))
    stack = []
    for e in es:
        while stack and stack[-1]['ts'] + stack[-1]['dur'] <= e['ts']: stack.pop()
        if stack: stack[-1]['_child'] = stack[-1].get('_child', 0) + e['dur']
        else: wall += e['dur']
        stack.append(e)
    for e in es: grp[group(e)] += e['dur'] - e.get('_child', 0)
tot = sum(grp.values())
print(f"| part | ms per step | share |\n|---|---|---|")
for g, s in grp.most_common(): print(f"| {g} | {s/steps/1000:.0f} | {100*s/tot:.0f}% |")
print(f"| all libtorch operators (self time) | {tot/steps/1000:.0f} | 100% |")

if peak is None:
    sys.exit(0)


def prod(xs):
    p = 1
    for x in xs: p *= x
    return p


out_shape = {(tuple(e['shape'][1]), tuple(e['shape'][2])): tuple(e['shape'][0])
             for e in ev if e['name'] == 'aten::convolution_backward'}


def conv_flops(x, w):
    o = out_shape.get((tuple(x), tuple(w)), (x[0], w[0], x[2], x[3]))
    return 2.0 * prod(o) * w[1] * w[2] * w[3]


def flops(e):
    n, sh = e['name'], e.get('shape') or []
    if n == 'aten::mm': return 2.0 * sh[0][0] * sh[0][1] * sh[1][1], 'matrix products (aten::mm)'
    if n == 'aten::addmm': return 2.0 * sh[1][0] * sh[1][1] * sh[2][1], 'matrix products (aten::mm)'
    if n == 'aten::bmm': return 2.0 * sh[0][0] * sh[0][1] * sh[0][2] * sh[1][2], 'batched products (attention, aten::bmm)'
    if n == 'aten::mkldnn_convolution': return conv_flops(sh[0], sh[1]), 'convolutions, forward'
    if n == 'aten::convolution_backward': return 2 * conv_flops(sh[1], sh[2]), 'convolutions, backward (input and weight gradients)'
    return None, None


kinds = collections.defaultdict(lambda: [0.0, 0.0])  # kind -> [self us, flops]
for e in ev:
    f, kind = flops(e)
    if f is not None:
        kinds[kind][0] += e['dur'] - e.get('_child', 0)
        kinds[kind][1] += f
print()
print(f"| kind | ms per step | GFLOP per step | GFLOP/s | of the {peak:.0f} GFLOP/s peak | ms per step at the peak |")
print("|---|---:|---:|---:|---:|---:|")
t_all = f_all = at_peak = 0.0
for kind, (us, fl) in sorted(kinds.items(), key=lambda kv: -kv[1][0]):
    ms, gf = us / steps / 1000, fl / steps / 1e9
    t_all += ms; f_all += gf; at_peak += gf / peak * 1000
    print(f"| {kind} | {ms:.0f} | {gf:.2f} | {gf / ms * 1000:.1f} | {100 * gf / ms * 1000 / peak:.0f}% | {gf / peak * 1000:.0f} |")
print(f"| all of them | {t_all:.0f} | {f_all:.2f} | {f_all / t_all * 1000:.1f} | {100 * f_all / t_all * 1000 / peak:.0f}% | {at_peak:.0f} |")
ops = tot / steps / 1000
print()
print(f"All libtorch operators: {ops:.0f} ms per step (self time), of which these {t_all:.0f} ms ({100 * t_all / ops:.0f}%).")
print(f"With every convolution and product at the peak and the rest unchanged: {ops - t_all + at_peak:.0f} ms, "
      f"{ops / (ops - t_all + at_peak):.2f}x faster.")
