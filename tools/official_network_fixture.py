#!/usr/bin/env python3
"""Writes Tests/Fixtures/official-network/: a network snapshot pickled by NVIDIA's official
stylegan2-ada-pytorch code, converted by tools/convert_official.py, and what the official
networks compute, so that a test can check that the converted file (e.g. for --resume) gives
the official networks back.

    python3 tools/official_network_fixture.py --official /root/peer-src

--official DIR is a checkout of stylegan2-ada-pytorch at d72cc7d (default: $PEER_SRC). Its
training.networks.Generator / Discriminator and training.augment.AugmentPipe are built as
train.py and training/training_loop.py build them (class_name kwargs through
dnnlib.util.construct_class_by_name), with small settings: 32x32 RGB, z_dim = w_dim = 32, 2
mapping layers, channel_base 512, channel_max 32, no float16, no clamp, resnet D (train.py's
default: it sets no architecture), minibatch-std group 4, augpipe bgc at p = 0.25.

Every parameter is perturbed (0.1 randn, FullyConnectedLayer parameters divided by their
lr_multiplier so that the mapping changes as much as the rest), w_avg is tracked over 20
mapping calls of 8 latents in training mode, and G_ema is a copy of G with another small perturbation (its
buffers equal G's, as after the training loop's EMA step). The snapshot is pickled as the training
loop does (dict(training_set_kwargs=...), then G, D, G_ema, augment_pipe each as
copy.deepcopy(module).eval().requires_grad_(False).cpu(), pickle.dump): a real pickle, with the
modules' source embedded by torch_utils.persistence.

The pickle goes to a temporary folder as network-snapshot-000040.pkl (--keep-pickle PATH keeps a
copy; the converter records only the file's base name), then:

    python3 tools/convert_official.py <tmp>/network-snapshot-000040.pkl \\
        Tests/Fixtures/official-network/network-snapshot.safetensors

must succeed. Outputs (Tests/Fixtures/official-network/):
  network-snapshot.safetensors  the converter's output (G, D, G_ema)
  expected.safetensors          F32, from the official modules of the snapshot (eval, float32):
    z [4,32]                      latents (seed 3)
    img_G_ema [4,3,32,32]         G_ema(z, None, noise_mode='const', truncation_psi=1)
    img_G [4,3,32,32]             the same from G
    img_G_ema_psi05 [4,3,32,32]   G_ema(z, None, noise_mode='const', truncation_psi=0.5)
    logits_D [4,1]                D(img_G, None)
    __metadata__ (strings): official_commit, torch, numpy, python, G_kwargs, D_kwargs,
    augment_kwargs, augment_p, training_set_kwargs, seeds, pickle, evaluation
  README.md                     what is here

Checks (printed): the converter's exit status; every converted tensor equals the snapshot's
state_dict entry; the pickle loads back in a fresh Python process (plain pickle.load, as
legacy.py does; the classes are rebuilt from the embedded source) and gives the same outputs;
fresh official modules, built from the converted file's kwargs and loaded from its tensors
through numpy, give the same outputs (max |difference| printed).

Needs torch and numpy (made with torch 2.13 CPU, numpy 2.4, Python 3.11). Runs on the CPU with
one thread and is deterministic: a second run writes byte-identical files. (The pickle itself
differs between runs, as real ones do: torch's legacy storage serialization inside it names each
storage by its memory address. The converter's output does not depend on those names.)
"""
import argparse
import copy
import json
import os
import pathlib
import pickle
import platform
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import fixture_io  # noqa: E402  (tools/fixture_io.py)

OFFICIAL_COMMIT = 'd72cc7d041b42ec8e806021a205ed9349f87c6a4'
ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / 'Tests' / 'Fixtures' / 'official-network'
CONVERTER = ROOT / 'tools' / 'convert_official.py'
PICKLE_NAME = 'network-snapshot-000040.pkl'

RESOLUTION, CHANNELS, LATENT = 32, 3, 32
BATCH = 4
AUGPIPE, AUGMENT_P = 'bgc', 0.25
SEEDS = {'networks': 0, 'perturb_G': 1, 'perturb_D': 2, 'z': 3, 'track_w_avg': 4, 'G_ema': 5}
PERTURB, PERTURB_EMA = 0.1, 0.02
TRACK_STEPS, TRACK_BATCH = 20, 8


# ---------------------------------------------------------------- official code

augpipe_specs = fixture_io.augpipe_specs


def run_kwargs(dnnlib, official):
    """G_kwargs, D_kwargs, augment_kwargs and training_set_kwargs in the shapes train.py gives
    them (its 'auto' branch, with the small values put where train.py puts its own)."""
    EasyDict = dnnlib.EasyDict
    training_set_kwargs = EasyDict(class_name='training.dataset.ImageFolderDataset',
                                   path='datasets/tiny32.zip', use_labels=True, max_size=None,
                                   xflip=False)
    training_set_kwargs.resolution = RESOLUTION
    training_set_kwargs.use_labels = False
    training_set_kwargs.max_size = 64

    G_kwargs = EasyDict(class_name='training.networks.Generator', z_dim=LATENT, w_dim=LATENT,
                        mapping_kwargs=EasyDict(), synthesis_kwargs=EasyDict())
    D_kwargs = EasyDict(class_name='training.networks.Discriminator', block_kwargs=EasyDict(),
                        mapping_kwargs=EasyDict(), epilogue_kwargs=EasyDict())
    G_kwargs.synthesis_kwargs.channel_base = D_kwargs.channel_base = 512
    G_kwargs.synthesis_kwargs.channel_max = D_kwargs.channel_max = 32
    G_kwargs.mapping_kwargs.num_layers = 2
    G_kwargs.synthesis_kwargs.num_fp16_res = D_kwargs.num_fp16_res = 0
    G_kwargs.synthesis_kwargs.conv_clamp = D_kwargs.conv_clamp = None
    D_kwargs.epilogue_kwargs.mbstd_group_size = 4

    augment_kwargs = EasyDict(class_name='training.augment.AugmentPipe',
                              **augpipe_specs(official)[AUGPIPE])
    return training_set_kwargs, G_kwargs, D_kwargs, augment_kwargs


def perturb(module, networks, gen, scale):
    """p += scale * randn (divided by lr_multiplier for FullyConnectedLayer parameters, whose
    stored values are the effective ones divided by it), in named_parameters order."""
    divisor = {}
    for m in module.modules():
        if isinstance(m, networks.FullyConnectedLayer):
            for p in m.parameters(recurse=False):
                divisor[id(p)] = float(m.bias_gain)     # bias_gain = lr_multiplier
    with torch.no_grad():
        for _, p in module.named_parameters():
            p.add_(torch.randn(p.shape, generator=gen) * (scale / divisor.get(id(p), 1.0)))


def build_snapshot(dnnlib, networks, official):
    training_set_kwargs, G_kwargs, D_kwargs, augment_kwargs = run_kwargs(dnnlib, official)
    common_kwargs = dict(c_dim=0, img_resolution=RESOLUTION, img_channels=CHANNELS)
    torch.manual_seed(SEEDS['networks'])     # training_loop: random_seed * num_gpus + rank = 0
    G = dnnlib.util.construct_class_by_name(**G_kwargs, **common_kwargs).train().requires_grad_(False)
    D = dnnlib.util.construct_class_by_name(**D_kwargs, **common_kwargs).train().requires_grad_(False)

    perturb(G, networks, torch.Generator().manual_seed(SEEDS['perturb_G']), PERTURB)
    perturb(D, networks, torch.Generator().manual_seed(SEEDS['perturb_D']), PERTURB)
    gen = torch.Generator().manual_seed(SEEDS['track_w_avg'])
    with torch.no_grad():
        for _ in range(TRACK_STEPS):     # training mode: each call moves w_avg
            G.mapping(torch.randn([TRACK_BATCH, LATENT], generator=gen), None)
    assert G.mapping.w_avg.abs().max() > 0.05, G.mapping.w_avg

    G_ema = copy.deepcopy(G).eval()
    perturb(G_ema, networks, torch.Generator().manual_seed(SEEDS['G_ema']), PERTURB_EMA)

    augment_pipe = dnnlib.util.construct_class_by_name(**augment_kwargs).train().requires_grad_(False)
    augment_pipe.p.copy_(torch.as_tensor(AUGMENT_P))

    # training_loop.py, "Save network snapshot".
    snapshot_data = dict(training_set_kwargs=dict(training_set_kwargs))
    for name, module in [('G', G), ('D', D), ('G_ema', G_ema), ('augment_pipe', augment_pipe)]:
        if module is not None:
            module = copy.deepcopy(module).eval().requires_grad_(False).cpu()
        snapshot_data[name] = module
        del module
    kwargs = dict(G_kwargs=G_kwargs, D_kwargs=D_kwargs, augment_kwargs=augment_kwargs,
                  training_set_kwargs=training_set_kwargs)
    return snapshot_data, kwargs


# Run in a fresh process: load the pickle, check where its classes come from, evaluate.
RELOAD = '''
import pickle, sys
import numpy as np, torch
official, pkl, z_path, out_path = sys.argv[1:]
sys.path.insert(0, official)
torch.set_num_threads(1)
with open(pkl, 'rb') as f:
    data = pickle.load(f)
assert sorted(data) == ['D', 'G', 'G_ema', 'augment_pipe', 'training_set_kwargs'], sorted(data)
assert 'training' not in sys.modules and 'training.networks' not in sys.modules
for name in ('G', 'D', 'G_ema', 'augment_pipe'):
    orig = type(data[name]).__bases__[0]     # persistent_class wraps the original class
    assert orig.__module__.startswith('_imported_module_'), orig
assert float(data['augment_pipe'].p) == %r
z = torch.from_numpy(np.load(z_path))
G, G_ema, D = data['G'], data['G_ema'], data['D']
with torch.no_grad():
    img_G = G(z, None, noise_mode='const', truncation_psi=1)
    out = dict(z=z, img_G=img_G, img_G_ema=G_ema(z, None, noise_mode='const', truncation_psi=1),
               img_G_ema_psi05=G_ema(z, None, noise_mode='const', truncation_psi=0.5),
               logits_D=D(img_G, None))
np.savez(out_path, **{k: v.numpy() for k, v in out.items()})
''' % AUGMENT_P


@torch.no_grad()
def evaluate(G, G_ema, D, z):
    img_G = G(z, None, noise_mode='const', truncation_psi=1)
    return {
        'z': z,
        'img_G_ema': G_ema(z, None, noise_mode='const', truncation_psi=1),
        'img_G': img_G,
        'img_G_ema_psi05': G_ema(z, None, noise_mode='const', truncation_psi=0.5),
        'logits_D': D(img_G, None),
    }


# ---------------------------------------------------------------- safetensors

read_safetensors = fixture_io.read_safetensors
write_safetensors = fixture_io.write_safetensors


def plain(value):
    """EasyDict -> dict for JSON."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def max_diff(a, b):
    return max(float((x - y).abs().max()) for x, y in zip(a.values(), b.values()))


# ---------------------------------------------------------------- main

def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--official', default=os.environ.get('PEER_SRC'),
                        help='stylegan2-ada-pytorch checkout (default: $PEER_SRC)')
    parser.add_argument('--keep-pickle', metavar='PATH',
                        help='also copy the pickle here (it is written to a temporary folder)')
    args = parser.parse_args()
    if not args.official:
        parser.error('--official DIR (or $PEER_SRC) is required')
    official = pathlib.Path(args.official).resolve()
    if not (official / 'training' / 'networks.py').is_file():
        parser.error(f'{official}/training/networks.py not found')

    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float32)
    sys.path.insert(0, str(official))
    import dnnlib                                   # noqa: E402
    from training import networks                   # noqa: E402

    snapshot, kwargs = build_snapshot(dnnlib, networks, official)
    z = torch.randn([BATCH, LATENT], generator=torch.Generator().manual_seed(SEEDS['z']))
    expected = evaluate(snapshot['G'], snapshot['G_ema'], snapshot['D'], z)

    OUT.mkdir(parents=True, exist_ok=True)
    dest = OUT / 'network-snapshot.safetensors'
    with tempfile.TemporaryDirectory(prefix='official-network-') as tmp:
        pkl = pathlib.Path(tmp) / PICKLE_NAME
        with open(pkl, 'wb') as f:
            pickle.dump(snapshot, f)
        pkl_size = pkl.stat().st_size
        if args.keep_pickle:
            shutil.copyfile(pkl, args.keep_pickle)

        # The modules' source is embedded (torch_utils.persistence), once (pickle's memo).
        data = pkl.read_bytes()
        assert data.count(b'def modulated_conv2d(') == 1 and data.count(b'class AugmentPipe(') == 1
        # The pickle as legacy.load_network_pkl reads it (plain pickle.load), in a fresh process
        # that has not imported training/: the classes are rebuilt from the embedded source.
        z_path, out_path = pathlib.Path(tmp) / 'z.npy', pathlib.Path(tmp) / 'reloaded.npz'
        np.save(z_path, z.numpy())
        subprocess.run([sys.executable, '-c', RELOAD, str(official), str(pkl), str(z_path),
                        str(out_path)], check=True, cwd=tmp)
        with np.load(out_path) as npz:
            reloaded = {k: torch.from_numpy(npz[k]) for k in expected}
        diff_reload = max_diff(expected, reloaded)

        cmd = [sys.executable, str(CONVERTER), str(pkl), str(dest)]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        print(f'$ python3 tools/convert_official.py <tmp>/{PICKLE_NAME} {dest.relative_to(ROOT)}')
        sys.stdout.write(proc.stdout)
        sys.stderr.write(proc.stderr)
        print(f'exit status {proc.returncode}')
        if proc.returncode != 0:
            raise SystemExit('error: the converter failed on the official pickle')

    # Converted tensors against the snapshot's state_dicts.
    converted, meta = read_safetensors(dest)
    names = []
    for module in ('G', 'D', 'G_ema'):
        for key, value in snapshot[module].state_dict().items():
            names.append(f'{module}.{key}')
            got = converted[f'{module}.{key}']
            assert got.shape == tuple(value.shape), (module, key, got.shape, value.shape)
            assert np.array_equal(got, value.numpy()), (module, key)
    assert names == list(converted), 'converted names or order differ from the state_dicts'

    # Fresh official modules from the converted file (kwargs from its metadata, tensors via numpy).
    fresh = {}
    for module in ('G', 'D', 'G_ema'):
        kw = json.loads(meta['sgan.D_kwargs' if module == 'D' else 'sgan.G_kwargs'])
        cls = networks.Discriminator if module == 'D' else networks.Generator
        net = cls(**kw).eval().requires_grad_(False)
        sd = {k[len(module) + 1:]: torch.from_numpy(v.copy())
              for k, v in converted.items() if k.startswith(module + '.')}
        net.load_state_dict(sd, strict=True)
        fresh[module] = net
    refit = evaluate(fresh['G'], fresh['G_ema'], fresh['D'], z)
    diff_fresh = max_diff(expected, refit)

    metadata = {
        'official_commit': OFFICIAL_COMMIT,
        'torch': torch.__version__,
        'numpy': np.__version__,
        'python': platform.python_version(),
        'G_kwargs': json.dumps(plain(kwargs['G_kwargs'])),
        'D_kwargs': json.dumps(plain(kwargs['D_kwargs'])),
        'augment_kwargs': json.dumps(plain(kwargs['augment_kwargs'])),
        'augment_p': repr(AUGMENT_P),
        'training_set_kwargs': json.dumps(plain(kwargs['training_set_kwargs'])),
        'seeds': json.dumps(SEEDS),
        'pickle': PICKLE_NAME,
        'evaluation': ('modules of the snapshot (eval, requires_grad False, float32, CPU, one '
                       'thread, fused modconv as eval mode gives); c = None; '
                       "noise_mode='const'; logits_D = D(img_G, None)"),
    }
    write_safetensors(OUT / 'expected.safetensors', expected, metadata)

    print(f'pickle: {pkl_size} bytes; {dest.relative_to(ROOT)}: {dest.stat().st_size} bytes, '
          f'{len(converted)} tensors, metadata {sorted(meta)}')
    print(f'expected.safetensors: {(OUT / "expected.safetensors").stat().st_size} bytes')
    print(f'w_avg |max| {float(snapshot["G"].mapping.w_avg.abs().max()):.4f}; '
          f'img_G_ema std {float(expected["img_G_ema"].std()):.4f}; '
          f'|img_G_ema - img_G| max {float((expected["img_G_ema"] - expected["img_G"]).abs().max()):.4f}')
    print(f'max |official - pickle reloaded| {diff_reload:.3g}')
    print(f'max |official - fresh modules from the converted file| {diff_fresh:.3g}')
    if diff_reload != 0 or diff_fresh > 1e-6:
        raise SystemExit('error: the outputs differ')


if __name__ == '__main__':
    main()
