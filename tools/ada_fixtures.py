#!/usr/bin/env python3
"""Writes the ADA augmentation fixtures in Tests/Fixtures/augment/ with NVIDIA's official
stylegan2-ada-pytorch AugmentPipe (training/augment.py) as the reference.

    python3 tools/ada_fixtures.py --official /root/peer-src     # regenerates everything

--official DIR is a checkout of stylegan2-ada-pytorch at d72cc7d (default: $PEER_SRC). Its
AugmentPipe, Discriminator and the pipe specs of train.py (read from its source) are used.

Needs torch, numpy and scipy (made with torch 2.13 CPU, numpy 2.4, scipy 1.17). Runs on the CPU
with one thread and is deterministic: a second run writes byte-identical files.

Random draws: during every AugmentPipe.forward, torch.rand and torch.randn are replaced by
wrappers that draw float32 values from a torch.Generator seeded per case and record each result.
A reimplementation consumes these recorded draws in the same order instead of drawing its own.

Outputs (Tests/Fixtures/augment/):
  augment.safetensors   F32 tensors, sorted by name:
    images [4,3,23,28], images_gray [4,1,23,28]   the inputs (smooth patterns plus small noise)
    Hz_geom [12], Hz_fbank [4,43]                 the pipe's fixed filter buffers
    <case>.drawNN                                 the NN-th random draw of the case, its own shape
    <case>.out                                    the pipe's output
    real [4,3,32,32]                              the R1 cases' input (stylegan2-reference d_io)
    r1.logits [4,1], .r1_grad [4,3,32,32], .r1_penalty [4], .grad.<D state_dict key>
                                                  R1 through the pipe on the reference D, and
                                                  d sum(r1_penalty) / d parameter; r1geom.* too
  __metadata__ (strings): official_commit, torch, numpy, scipy, cases (JSON: per case the
  AugmentPipe kwargs, p, input, seed, draws [["rand"|"randn", shape], ...]), r1 (JSON: how the
  R1 cases were made and which parameter gradients are stored).
  README.md             what the file holds and how it was made.

Cases: every augmentation alone at p = 1 (named as its kwarg: xflip, ..., cutout), train.py's
named pipes at p = 0.5 (spec_blit, ..., spec_bgcfnc), two of them on the 1-channel input at
p = 0.7 (gray_bgc, gray_bgcfnc), and R1 through bgc (r1) and geom (r1geom) at p = 1. p is the
pipe's float32 buffer, so `rand < multiplier * p` compares in float32. Images are 23x28: the
image filter reflect-pads by 21 pixels, which needs both sides longer than 21.
"""
import argparse
import contextlib
import hashlib
import json
import os
import pathlib
import struct
import sys
import time
import warnings

import numpy as np
import scipy
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import fixture_io  # noqa: E402  (tools/fixture_io.py)

OFFICIAL_COMMIT = 'd72cc7d041b42ec8e806021a205ed9349f87c6a4'
ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / 'Tests' / 'Fixtures' / 'augment'
REFERENCE = ROOT / 'Tests' / 'Fixtures' / 'stylegan2-reference'

# imgfilter reflect-pads by 21 (half its 43 taps), which needs both sides over 21 pixels; one
# side odd and one even, not square, so that transposed axes and half-pixel centres show.
BATCH, HEIGHT, WIDTH = 4, 23, 28
IMAGE_SEED = 20240711
SINGLE_SEED = 100       # single augmentations: seed 100 + index
SPEC_SEED = 220         # train.py pipes at p = 0.5: seed 220 + index (each changes an image)
GRAY_SEED = 300         # 1-channel pipes at p = 0.7
R1_SEED = 400
# Every augmentation of AugmentPipe, in the order of its constructor.
SINGLES = ['xflip', 'rotate90', 'xint', 'scale', 'rotate', 'aniso', 'xfrac', 'brightness',
           'contrast', 'lumaflip', 'hue', 'saturation', 'imgfilter', 'noise', 'cutout']
SPECS = ['blit', 'geom', 'color', 'filter', 'noise', 'cutout', 'bg', 'bgc', 'bgcf', 'bgcfn',
         'bgcfnc']
# r1geom stores the gradients of the parameters with fewer elements than this (all but the
# five 64-channel 3x3 convs and b4.fc) to keep the file small; r1 stores all of them.
R1GEOM_GRAD_LIMIT = 32768


# ---------------------------------------------------------------- official code

def import_official(official: pathlib.Path):
    sys.path.insert(0, str(official))
    from training import augment, networks                          # noqa: E402
    from torch_utils.ops import conv2d_gradfix, grid_sample_gradfix  # noqa: E402
    return augment, networks, conv2d_gradfix, grid_sample_gradfix


augpipe_specs = fixture_io.augpipe_specs


# ---------------------------------------------------------------- recorded random draws

_TORCH_RAND, _TORCH_RANDN = torch.rand, torch.randn


@contextlib.contextmanager
def draws(record=None, seed=None, replay=None):
    """Within the block torch.rand / torch.randn draw float32 from a generator seeded with
    `seed` and append (kind, tensor) to `record`; or, with `replay`, return the recorded
    tensors in order (cast to the default dtype), checking kind and shape."""
    gen = torch.Generator().manual_seed(seed) if replay is None else None
    pos = [0]

    def make(kind, original):
        def draw(*size, **kwargs):
            if len(size) == 1 and isinstance(size[0], (list, tuple, torch.Size)):
                size = tuple(size[0])
            size = tuple(int(s) for s in size)
            assert set(kwargs) <= {'device'}, kwargs
            if replay is not None:
                k, t = replay[pos[0]]
                pos[0] += 1
                assert k == kind and tuple(t.shape) == size, (k, kind, t.shape, size)
                return t.to(torch.get_default_dtype())
            t = original(size, generator=gen, dtype=torch.float32)
            record.append((kind, t.clone()))
            return t
        return draw

    torch.rand, torch.randn = make('rand', _TORCH_RAND), make('randn', _TORCH_RANDN)
    try:
        yield
    finally:
        torch.rand, torch.randn = _TORCH_RAND, _TORCH_RANDN
    if replay is not None:
        assert pos[0] == len(replay), (pos[0], len(replay))


def make_pipe(augment, kwargs, p):
    pipe = augment.AugmentPipe(**kwargs)
    pipe.p.copy_(torch.tensor(p))
    return pipe


def draws_meta(record):
    return [[kind, list(t.shape)] for kind, t in record]


# ---------------------------------------------------------------- inputs

def make_images(rng, channels):
    """Smooth sinusoids and gradients per channel plus small uniform noise, in [-1, 1]."""
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float64)
    yy, xx = yy / HEIGHT, xx / WIDTH
    out = np.empty((BATCH, channels, HEIGHT, WIDTH))
    for n in range(BATCH):
        for c in range(channels):
            g = rng.uniform(-0.6, 0.6) * (xx - 0.5) + rng.uniform(-0.6, 0.6) * (yy - 0.5)
            for _ in range(3):
                fx, fy = rng.uniform(0.4, 2.5, size=2) * rng.choice([-1, 1], size=2)
                g += rng.uniform(0.1, 0.3) * np.sin(2 * np.pi * (fx * xx + fy * yy)
                                                    + rng.uniform(0, 2 * np.pi))
            g += rng.uniform(-0.05, 0.05, size=g.shape)
            out[n, c] = g
    return torch.from_numpy(np.clip(out, -1, 1).astype(np.float32))


# ---------------------------------------------------------------- safetensors

def read_safetensors(path: pathlib.Path):
    return {name: torch.from_numpy(arr) for name, arr in fixture_io.read_safetensors(path)[0].items()}


write_safetensors = fixture_io.write_safetensors


# ---------------------------------------------------------------- R1 through the pipe

class _TorchF32AsF64:
    """Stand-in for the `torch` module inside networks.py: `torch.float32` reads as float64,
    so the whole discriminator runs in float64 (its blocks cast activations to float32)."""
    def __getattr__(self, name):
        return torch.float64 if name == 'float32' else getattr(torch, name)


def r1_forward(D, pipe, real, conv2d_gradfix, replay=None, record=None, seed=None):
    """loss.py's Dreg phase: R1 penalty of D(pipe(real)); returns logits, r1_grads, penalty."""
    real_tmp = real.detach().requires_grad_(True)
    with draws(record=record, seed=seed, replay=replay):
        aug = pipe(real_tmp)
    c = torch.zeros([real.shape[0], 0], dtype=real.dtype)
    logits = D(aug, c)
    with conv2d_gradfix.no_weight_gradients():
        r1_grads = torch.autograd.grad(outputs=[logits.sum()], inputs=[real_tmp],
                                       create_graph=True, only_inputs=True)[0]
    r1_penalty = r1_grads.square().sum([1, 2, 3])
    return logits, r1_grads, r1_penalty


def r1_param_grads(D, pipe, real, conv2d_gradfix, **kw):
    logits, r1_grads, r1_penalty = r1_forward(D, pipe, real, conv2d_gradfix, **kw)
    names = [n for n, _ in D.named_parameters()]
    params = [p for _, p in D.named_parameters()]
    grads = torch.autograd.grad(r1_penalty.sum(), params, allow_unused=True)
    # b4.out.bias does not reach the penalty (it only shifts the logits): its gradient is zero.
    unused = [n for n, g in zip(names, grads) if g is None]
    assert unused == ['b4.out.bias'], unused
    grads = [torch.zeros_like(p) if g is None else g for p, g in zip(params, grads)]
    return logits, r1_grads, r1_penalty, dict(zip(names, grads))


def custom_grid_sample_op(calls):
    """The official custom grid_sample op made to run on current torch: _jit_get_operation now
    returns (op, overload names), and aten::grid_sampler_2d_backward takes an output_mask."""
    def forward(ctx, grad_output, input, grid):
        calls.append(1)
        grad_input, grad_grid = torch.ops.aten.grid_sampler_2d_backward(
            grad_output, input, grid, 0, 0, False, [True, True])
        ctx.save_for_backward(grid)
        return grad_input, grad_grid
    return forward


def r1_case(name, augment, networks, conv2d_gradfix, grid_sample_gradfix, spec, seed, D_kwargs,
            d_state, real, grad_filter):
    """Runs R1 through AugmentPipe(**spec) at p = 1 as the official training does; checks the
    parameter gradients by finite differences in float64 and against the custom grid_sample op."""
    pipe = make_pipe(augment, spec, 1.0)
    D = networks.Discriminator(**D_kwargs)
    D.load_state_dict(d_state)
    record = []
    logits, r1_grads, r1_penalty, grads = r1_param_grads(
        D, pipe, real, conv2d_gradfix, record=record, seed=seed)

    # The official custom op (patched to run), same draws: must give the same numbers.
    backward_op = grid_sample_gradfix._GridSample2dBackward
    saved = grid_sample_gradfix._should_use_custom_op, backward_op.forward
    grid_sample_gradfix._should_use_custom_op = lambda: True
    calls = []
    backward_op.forward = staticmethod(custom_grid_sample_op(calls))
    try:
        _, _, _, c_grads = r1_param_grads(D, pipe, real, conv2d_gradfix, replay=record)
        assert calls, 'the custom grid_sample op did not run'
    finally:
        grid_sample_gradfix._should_use_custom_op = saved[0]
        backward_op.forward = staticmethod(saved[1])
    custom_diff = max(float((c_grads[k] - grads[k]).abs().max()
                            / grads[k].abs().max().clamp(min=1e-30)) for k in grads)

    # Float64 copy of the whole computation: analytic gradients and central differences.
    checks = {}
    saved_dtype, saved_torch = torch.get_default_dtype(), networks.torch
    torch.set_default_dtype(torch.float64)
    networks.torch = _TorchF32AsF64()
    try:
        D64 = networks.Discriminator(**D_kwargs)
        D64.load_state_dict(d_state)
        for p in D64.parameters():
            p.data = p.data.double()
        pipe64 = make_pipe(augment, spec, 1.0)
        real64 = real.double()
        _, _, pen64, g64 = r1_param_grads(D64, pipe64, real64, conv2d_gradfix, replay=record)
        params64 = dict(D64.named_parameters())

        def loss_at():
            penalty = r1_forward(D64, pipe64, real64, conv2d_gradfix, replay=record)[2]
            return float(penalty.sum().detach())

        gen = np.random.RandomState(seed)
        directions = {}
        for key, index in [('b32.fromrgb.weight', (5, 1, 0, 0)),
                           ('b16.conv0.weight', (3, 7, 1, 2))]:
            d = {k: torch.zeros_like(v) for k, v in params64.items()}
            d[key][index] = 1
            directions[f'{key}{list(index)}'] = d
        # A unit-norm random direction over all parameters, with a small step: leaky ReLU's
        # derivative steps at zero, so the penalty jumps where a pre-activation changes sign.
        d = {k: torch.from_numpy(gen.standard_normal(tuple(v.shape))) for k, v in params64.items()}
        norm = float(sum(float(v.square().sum()) for v in d.values())) ** 0.5
        directions['unit random direction over all parameters'] = {
            k: v / norm for k, v in d.items()}
        h = 1e-5
        for label, d in directions.items():
            analytic = sum(float((g64[k] * d[k]).sum()) for k in params64)
            values = []
            for sign in (1, -1):
                with torch.no_grad():
                    for k, v in params64.items():
                        v.add_(d[k], alpha=sign * h)
                values.append(loss_at())
                with torch.no_grad():
                    for k, v in params64.items():
                        v.sub_(d[k], alpha=sign * h)
            fd = (values[0] - values[1]) / (2 * h)
            checks[label] = (analytic, fd, abs(fd - analytic) / max(abs(analytic), 1e-30))
    finally:
        torch.set_default_dtype(saved_dtype)
        networks.torch = saved_torch
    f32_vs_f64 = max(float((grads[k].double() - g64[k]).abs().max()
                           / g64[k].abs().max().clamp(min=1e-30)) for k in grads)
    pen64 = pen64.detach()
    pen_rel = float(((r1_penalty.detach().double() - pen64).abs() / pen64.abs()).max())

    tensors = {f'{name}.logits': logits, f'{name}.r1_grad': r1_grads,
               f'{name}.r1_penalty': r1_penalty}
    for k, (_, t) in enumerate(record):
        tensors[f'{name}.draw{k:02d}'] = t
    stored = [k for k in grads if grad_filter(k, grads[k])]
    for k in stored:
        tensors[f'{name}.grad.{k}'] = grads[k]
    report = {'custom_op_max_rel_diff': custom_diff,
              'f32_vs_f64_grad_max_rel_diff': f32_vs_f64, 'f32_vs_f64_penalty_rel_diff': pen_rel,
              'fd': checks}
    meta = {'kwargs': spec, 'p': 1.0, 'input': 'real', 'seed': seed,
            'draws': draws_meta(record)}
    return tensors, meta, stored, report


# ---------------------------------------------------------------- main

def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--official', default=os.environ.get('PEER_SRC'),
                        help='stylegan2-ada-pytorch checkout (default: $PEER_SRC)')
    args = parser.parse_args()
    if not args.official:
        parser.error('--official DIR (or $PEER_SRC) is required')
    official = pathlib.Path(args.official)
    if not (official / 'training' / 'augment.py').is_file():
        parser.error(f'{official}/training/augment.py not found')

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    t0 = time.time()
    augment, networks, conv2d_gradfix, grid_sample_gradfix = import_official(official)
    # As training_loop.py does. conv2d_gradfix only acts on CUDA tensors (plain conv2d here);
    # grid_sample_gradfix warns on torch >= 1.10 and falls back to F.grid_sample.
    conv2d_gradfix.enabled = True
    grid_sample_gradfix.enabled = True
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        custom_grid_sample = grid_sample_gradfix._should_use_custom_op()
    if caught:
        print(f'note: {caught[0].message}')
    warnings.filterwarnings('ignore', message='grid_sample_gradfix not supported')
    specs = augpipe_specs(official)

    rng = np.random.RandomState(IMAGE_SEED)
    images = make_images(rng, 3)
    images_gray = make_images(rng, 1)
    inputs = {'images': images, 'images_gray': images_gray}
    tensors = dict(inputs)
    probe = augment.AugmentPipe()
    tensors['Hz_geom'] = probe.Hz_geom
    tensors['Hz_fbank'] = probe.Hz_fbank

    plan = [(name, {name: 1}, 1.0, 'images', SINGLE_SEED + i) for i, name in enumerate(SINGLES)]
    plan += [(f'spec_{name}', specs[name], 0.5, 'images', SPEC_SEED + i)
             for i, name in enumerate(SPECS)]
    plan += [(f'gray_{name}', specs[name], 0.7, 'images_gray', GRAY_SEED + i)
             for i, name in enumerate(['bgc', 'bgcfnc'])]

    cases, summary = {}, []
    for name, kwargs, p, input_name, seed in plan:
        pipe = make_pipe(augment, kwargs, p)
        record = []
        with torch.no_grad(), draws(record=record, seed=seed):
            out = pipe(inputs[input_name])
        tensors[f'{name}.out'] = out
        for k, (_, t) in enumerate(record):
            tensors[f'{name}.draw{k:02d}'] = t
        cases[name] = {'kwargs': kwargs, 'p': p, 'input': input_name, 'seed': seed,
                       'draws': draws_meta(record)}
        summary.append((name, len(record), float((out - inputs[input_name]).abs().max())))

    # R1 through the augmentation on the reference discriminator.
    config = json.loads((REFERENCE / 'config.json').read_text())
    D_kwargs = config['D_kwargs']
    d_state = read_safetensors(REFERENCE / 'd_params.safetensors')
    d_io = read_safetensors(REFERENCE / 'd_io.safetensors')
    real = d_io['real']
    tensors['real'] = real
    D_check = networks.Discriminator(**D_kwargs)
    D_check.load_state_dict(d_state)
    with torch.no_grad():
        logits = D_check(real, torch.zeros([4, 0]))
        ref_logit_diff = float((logits - d_io['logits_real']).abs().max())

    r1_reports, r1_stored = {}, {}
    for i, (name, spec_name, grad_filter) in enumerate([
            ('r1', 'bgc', lambda k, g: True),
            ('r1geom', 'geom', lambda k, g: g.numel() < R1GEOM_GRAD_LIMIT)]):
        t, meta, stored, report = r1_case(name, augment, networks, conv2d_gradfix,
                                          grid_sample_gradfix, specs[spec_name], R1_SEED + i,
                                          D_kwargs, d_state, real, grad_filter)
        meta['pipe'] = spec_name
        tensors.update(t)
        cases[name] = meta
        r1_stored[name] = stored
        r1_reports[name] = report
        penalty = t[f'{name}.r1_penalty'].detach()
        summary.append((name, len(meta['draws']), float(penalty.abs().max())))

    r1_meta = {
        'discriminator': 'training.networks.Discriminator(**D_kwargs) with the state_dict of '
                         'Tests/Fixtures/stylegan2-reference/d_params.safetensors, c = [4, 0]',
        'D_kwargs': D_kwargs,
        'real': 'tensor "real" [4,3,32,32], d_io.safetensors "real" of stylegan2-reference',
        'computation': "loss.py Dreg: real = real.detach().requires_grad_(True); logits = "
                       "D(pipe(real), c); r1_grad = autograd.grad(logits.sum(), real, "
                       "create_graph=True); r1_penalty = r1_grad.square().sum([1,2,3]); "
                       "grad.<key> = d r1_penalty.sum() / d parameter (no r1_gamma/2, no mean)",
        'grid_sample': 'grid_sample_gradfix.enabled = True falls back to '
                       'torch.nn.functional.grid_sample on this torch (its double backward is '
                       'supported); the patched custom op gives the same gradients',
        'zero_grads': 'b4.out.bias (it only shifts the logits; autograd finds it unused)',
        'stored_grads': {k: ('all parameters' if len(v) == len(list(D_check.parameters()))
                             else v) for k, v in r1_stored.items()},
    }
    metadata = {
        'official_commit': OFFICIAL_COMMIT,
        'source': 'tools/ada_fixtures.py',
        'torch': torch.__version__,
        'numpy': np.__version__,
        'scipy': scipy.__version__,
        'cases': json.dumps(cases, separators=(',', ':')),
        'r1': json.dumps(r1_meta, separators=(',', ':')),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / 'augment.safetensors'
    write_safetensors(path, tensors, metadata)

    print(f'{len(cases)} cases, {sum(len(c["draws"]) for c in cases.values())} draws, '
          f'{len(tensors)} tensors, {path.stat().st_size} bytes, '
          f'sha256 {hashlib.sha256(path.read_bytes()).hexdigest()[:16]}, {time.time() - t0:.1f}s')
    for name, n, diff in summary:
        what = 'max r1_penalty' if name.startswith('r1') else 'max |out - in|'
        print(f'  {name:16s} {n:2d} draws  {what} {diff:.4f}')
    print(f'reference D(real) vs d_io logits_real: max |diff| {ref_logit_diff:.3g}')
    for name, rep in r1_reports.items():
        print(f'{name}: grid_sample_gradfix custom op in use: {custom_grid_sample}; '
              f'patched custom op vs fallback max rel diff {rep["custom_op_max_rel_diff"]:.3g}; '
              f'float32 vs float64 grads max rel diff {rep["f32_vs_f64_grad_max_rel_diff"]:.3g} '
              f'(penalty {rep["f32_vs_f64_penalty_rel_diff"]:.3g})')
        for label, (analytic, fd, rel) in rep['fd'].items():
            print(f'  fd float64 {label}: analytic {analytic:.10g}  central diff {fd:.10g}  '
                  f'rel {rel:.2g}')


if __name__ == '__main__':
    main()
