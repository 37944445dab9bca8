#!/usr/bin/env python3
"""The matrix work of a training step against the core's float32 peak, from a libtorch trace written by the
trainer's -Dibq.profile=FROM:TO. Usage: profile-roofline.py RUN/profile-FROM-TO.json STEPS PEAK_GFLOPS

For every convolution and matrix product the trace records (self time and input shapes), the FLOPs it computed:
  aten::mm / bmm / addmm: 2 M N K (x batch);
  aten::mkldnn_convolution: 2 x output elements x C_in x kh x kw, the output shape taken from the backward call with
    the same input and weight shapes (convolutions with no backward in the trace: output = input's size, which holds
    for the 3x3 and 1x1 stride-1 convolutions with padding that all such calls are here);
  aten::convolution_backward: the gradients of input and weight, 2 x the forward FLOPs each (an upper bound for a
    first layer, whose input gradient libtorch skips: those are the 1-channel image convolutions, under 1% here).
PEAK_GFLOPS: the core's measured float32 peak (the FMA loop of bench-quantizer-peak's float32-peak.c).
Prints per kind: ms per step, GFLOP per step, GFLOP/s, share of the peak, and what the step's operator time would be
if every one of them ran at the peak (the rest unchanged)."""
import collections
import json
import sys

trace, steps, peak = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
d = json.load(open(trace))
ev = [e for e in (d['traceEvents'] if isinstance(d, dict) else d) if e.get('ph') == 'X' and 'dur' in e]

# Self time of every event (nested events are subtracted from their parent, per thread).
by_tid = collections.defaultdict(list)
for e in ev:
    by_tid[e.get('tid')].append(e)
for es in by_tid.values():
    es.sort(key=lambda e: (e['ts'], -e['dur']))
    stack = []
    for e in es:
        while stack and stack[-1]['ts'] + stack[-1]['dur'] <= e['ts']:
            stack.pop()
        if stack:
            stack[-1]['_child'] = stack[-1].get('_child', 0) + e['dur']
        stack.append(e)
total_self = sum(e['dur'] - e.get('_child', 0) for e in ev)


def prod(xs):
    p = 1
    for x in xs:
        p *= x
    return p


out_shape = {}
for e in ev:
    if e['name'] == 'aten::convolution_backward':
        g, x, w = e['shape'][0], e['shape'][1], e['shape'][2]
        out_shape[(tuple(x), tuple(w))] = tuple(g)


def conv_flops(x, w):
    o = out_shape.get((tuple(x), tuple(w)))
    if o is None:
        o = (x[0], w[0], x[2], x[3])
    return 2.0 * prod(o) * w[1] * w[2] * w[3]


kinds = collections.defaultdict(lambda: [0.0, 0.0])  # kind -> [self us, flops]
for e in ev:
    n, sh = e['name'], e.get('shape') or []
    flops = None
    if n == 'aten::mm':
        (m, k), (_, nn) = sh[0], sh[1]
        flops, kind = 2.0 * m * k * nn, 'matrix products (aten::mm)'
    elif n == 'aten::addmm':
        (m, k), (_, nn) = sh[1], sh[2]
        flops, kind = 2.0 * m * k * nn, 'matrix products (aten::mm)'
    elif n == 'aten::bmm':
        (b, m, k), (_, _, nn) = sh[0], sh[1]
        flops, kind = 2.0 * b * m * k * nn, 'batched products (attention, aten::bmm)'
    elif n == 'aten::mkldnn_convolution':
        flops, kind = conv_flops(sh[0], sh[1]), 'convolutions, forward'
    elif n == 'aten::convolution_backward':
        flops, kind = 2 * conv_flops(sh[1], sh[2]), 'convolutions, backward (input and weight gradients)'
    if flops is not None:
        k = kinds[kind]
        k[0] += e['dur'] - e.get('_child', 0)
        k[1] += flops

print(f"| kind | ms per step | GFLOP per step | GFLOP/s | of the {peak:.0f} GFLOP/s peak | ms per step at the peak |")
print("|---|---:|---:|---:|---:|---:|")
t_all = f_all = at_peak = 0.0
for kind, (us, fl) in sorted(kinds.items(), key=lambda kv: -kv[1][0]):
    ms, gf = us / steps / 1000, fl / steps / 1e9
    t_all += ms
    f_all += gf
    at_peak += gf / peak * 1000
    print(f"| {kind} | {ms:.0f} | {gf:.2f} | {gf / ms * 1000:.1f} | {100 * gf / ms * 1000 / peak:.0f}% | {gf / peak * 1000:.0f} |")
print(f"| all of them | {t_all:.0f} | {f_all:.2f} | {f_all / t_all * 1000:.1f} | {100 * f_all / t_all * 1000 / peak:.0f}% | {at_peak:.0f} |")
ops = total_self / steps / 1000
print()
print(f"All libtorch operators: {ops:.0f} ms per step (self time), of which these {t_all:.0f} ms ({100 * t_all / ops:.0f}%).")
print(f"With every convolution and product at the peak and the rest unchanged: {ops - t_all + at_peak:.0f} ms, "
      f"{ops / (ops - t_all + at_peak):.2f}x faster.")
