#!/usr/bin/env python3
"""Writes the FID/KID test fixtures in Tests/Fixtures/fid/ with pytorch-fid as the reference.

    python3 tools/fid_fixtures.py --official /root/peer-src     # regenerates everything

--official DIR is a checkout of NVIDIA's stylegan2-ada-pytorch (default: $PEER_SRC); only its
KID formula (metrics/kernel_inception_distance.py, compute_kid) is used. --write-state-dict PATH
also torch.save()s the Inception weights below (for a converter round-trip; not kept in git).

Needs torch, torchvision, numpy, scipy, pillow and pytorch-fid (made with pytorch-fid 0.3.0,
torch 2.13 CPU, torchvision 0.28). Runs on the CPU with one thread and is deterministic: a second
run writes byte-identical files.

Inception weights: no weights file is stored. Every tensor of the state_dict of pytorch-fid's FID
Inception (pytorch_fid.inception.fid_inception_v3: torchvision Inception3, num_classes=1008,
aux_logits=False, FID blocks) is filled from a formula that the Swift test reimplements (see
WEIGHT_FORMULA), and pytorch_fid.inception.load_state_dict_from_url is patched to return it.

Outputs (Tests/Fixtures/fid/):
  a/*.png, b/*.png       small RGB images (one grayscale 'L' image in each folder), odd sizes
  features.safetensors   F32 "a" [Na, 2048], "b" [Nb, 2048]: pool3 features, pytorch-fid order
  reference.json         FID, KID and the settings they were made with
"""
import sys
import types

# torchvision's compiled ops do not load with this CPU build of torch, and importing
# torchvision._meta_registrations fails on them; nothing here needs those registrations, so a
# stand-in module is put in its place before anything imports torchvision.
sys.modules.setdefault('torchvision._meta_registrations',
                       types.ModuleType('torchvision._meta_registrations'))

import argparse
import hashlib
import json
import os
import pathlib
import struct
import time
import warnings

import numpy as np
import PIL
import scipy
import scipy.linalg
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import fixture_io  # noqa: E402  (tools/fixture_io.py)
import torchvision
from PIL import Image

import pytorch_fid
import pytorch_fid.fid_score as fid_score
import pytorch_fid.inception as fid_inception

OFFICIAL_COMMIT = 'd72cc7d041b42ec8e806021a205ed9349f87c6a4'
ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / 'Tests' / 'Fixtures' / 'fid'
N_A, N_B = 24, 20
IMAGE_SEED = 20240601
KID_SEED = 123
MASK64 = (1 << 64) - 1

WEIGHT_FORMULA = (
    "For every key of the state_dict of pytorch_fid.inception.fid_inception_v3() (in its order): "
    "s = FNV-1a 64-bit of the key's UTF-8 bytes (offset 0xcbf29ce484222325, prime 0x100000001b3). "
    "Element i (flat row-major index, 0-based): x = s XOR ((i + 1) * 0x9E3779B97F4A7C15 mod 2^64); "
    "x ^= x >> 30; x = x * 0xBF58476D1CE4E5B9 mod 2^64; x ^= x >> 27; "
    "x = x * 0x94D049BB133111EB mod 2^64; x ^= x >> 31; "
    "u = (x >> 40) / 2^24 * 2 - 1 (float64, in [-1, 1)). "
    "*.conv.weight [O, I, KH, KW]: u * sqrt(6 / (I*KH*KW)); *.bn.weight: 1 + 0.1u; "
    "*.bn.bias: 0.1u; *.bn.running_mean: 0.1u; *.bn.running_var: 1 + 0.25(u + 1); "
    "*.bn.num_batches_tracked: 0 (int64); fc.weight, fc.bias: 0.01u. "
    "Computed in float64, then cast to float32.")


# ---------------------------------------------------------------- deterministic weights

def fnv1a64(data: bytes) -> int:
    h = 0xcbf29ce484222325
    for byte in data:
        h = ((h ^ byte) * 0x100000001b3) & MASK64
    return h


def uniform_stream(key: str, count: int) -> np.ndarray:
    """u in [-1, 1) for elements 0..count-1 of `key` (float64)."""
    s = np.uint64(fnv1a64(key.encode('utf-8')))
    i = np.arange(1, count + 1, dtype=np.uint64)      # i + 1
    with np.errstate(over='ignore'):                  # uint64 arithmetic wraps mod 2^64
        x = s ^ (i * np.uint64(0x9E3779B97F4A7C15))
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return (x >> np.uint64(40)).astype(np.float64) / float(1 << 24) * 2.0 - 1.0


def deterministic_value(key: str, shape) -> torch.Tensor:
    if key.endswith('.bn.num_batches_tracked'):
        return torch.zeros(shape, dtype=torch.int64)
    u = uniform_stream(key, int(np.prod(shape, dtype=np.int64))).reshape(shape)
    if key.endswith('.conv.weight'):
        _, fan_i, kh, kw = shape
        v = u * np.sqrt(6.0 / (fan_i * kh * kw))
    elif key.endswith('.bn.weight'):
        v = 1.0 + 0.1 * u
    elif key.endswith('.bn.bias') or key.endswith('.bn.running_mean'):
        v = 0.1 * u
    elif key.endswith('.bn.running_var'):
        v = 1.0 + 0.25 * (u + 1.0)
    elif key in ('fc.weight', 'fc.bias'):
        v = 0.01 * u
    else:
        raise SystemExit(f'error: no weight formula for state_dict key {key!r}')
    return torch.from_numpy(v.astype(np.float32))


_STATE_DICT = None


def deterministic_state_dict():
    """The weights for fid_inception_v3(). Keys and shapes come from the same torchvision
    Inception3 that fid_inception_v3 builds before swapping in its FID blocks (which keep the
    submodules, so the state_dict is the same); its strict load_state_dict checks that."""
    global _STATE_DICT
    if _STATE_DICT is None:
        template = fid_inception._inception_v3(num_classes=1008, aux_logits=False, weights=None)
        _STATE_DICT = {k: deterministic_value(k, tuple(v.shape))
                       for k, v in template.state_dict().items()}
    return _STATE_DICT


def install_weights():
    def load_state_dict_from_url(url, *args, **kwargs):
        assert url == fid_inception.FID_WEIGHTS_URL, url
        return {k: v.clone() for k, v in deterministic_state_dict().items()}
    fid_inception.load_state_dict_from_url = load_state_dict_from_url


# ---------------------------------------------------------------- fixture images

def make_image(rng, shifted):
    sizes = list(range(29, 48, 2))
    while True:
        h, w = int(rng.choice(sizes)), int(rng.choice(sizes))
        if h != w:
            break
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    yy /= h
    xx /= w
    img = np.empty((h, w, 3))
    for c in range(3):
        g = rng.uniform(-0.5, 0.5) * xx + rng.uniform(-0.5, 0.5) * yy + 0.5
        for _ in range(3):
            fx, fy = rng.uniform(0.5, 4.0 if not shifted else 6.0, size=2)
            g += rng.uniform(0.05, 0.2) * np.sin(2 * np.pi * (fx * xx + fy * yy) + rng.uniform(0, 2 * np.pi))
        img[..., c] = g
    if shifted:                                   # b: warmer, higher-contrast colours
        img = (img - 0.5) * 1.3 + 0.5 + np.array([0.12, 0.0, -0.10])
    img = img * 255 + rng.normal(0, 4, size=img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def write_images(folder: pathlib.Path, count, rng, shifted, gray_index):
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob('*.png'):
        old.unlink()
    for i in range(count):
        arr = make_image(rng, shifted)
        img = Image.fromarray(arr, 'RGB')
        if i == gray_index:
            img = img.convert('L')
        img.save(folder / f'{i:03d}.png', optimize=False)


def pytorch_fid_files(folder: pathlib.Path):
    """The file list exactly as pytorch-fid's compute_statistics_of_path makes it."""
    return sorted([f for ext in fid_score.IMAGE_EXTENSIONS for f in folder.glob(f'*.{ext}')])


# ---------------------------------------------------------------- metrics

def fid_eigen(f1, f2):
    """FID with tr sqrt(S1 S2) = sum sqrt(max(eig(sqrt(S1) S2 sqrt(S1)), 0)), float64."""
    f1 = f1.astype(np.float64)
    f2 = f2.astype(np.float64)
    mu1, mu2 = f1.mean(0), f2.mean(0)
    s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    w, v = np.linalg.eigh(s1)
    root1 = (v * np.sqrt(np.maximum(w, 0))) @ v.T
    m = root1 @ s2 @ root1
    ev = np.linalg.eigvalsh((m + m.T) / 2)
    tr = np.sqrt(np.maximum(ev, 0)).sum()
    d = mu1 - mu2
    return float(d @ d + np.trace(s1) + np.trace(s2) - 2 * tr)


def fid_sqrtm(f1, f2):
    """pytorch-fid's calculate_frechet_distance on the statistics of the given features."""
    f1 = f1.astype(np.float64)
    f2 = f2.astype(np.float64)
    return float(fid_score.calculate_frechet_distance(
        f1.mean(0), np.cov(f1, rowvar=False), f2.mean(0), np.cov(f2, rowvar=False)))


def kid_loop(real_features, gen_features, num_subsets, max_subset_size):
    """The loop of compute_kid (stylegan2-ada-pytorch metrics/kernel_inception_distance.py),
    on the global np.random as there."""
    n = real_features.shape[1]
    m = min(min(real_features.shape[0], gen_features.shape[0]), max_subset_size)
    t = 0
    for _subset_idx in range(num_subsets):
        x = gen_features[np.random.choice(gen_features.shape[0], m, replace=False)]
        y = real_features[np.random.choice(real_features.shape[0], m, replace=False)]
        a = (x @ x.T / n + 1) ** 3 + (y @ y.T / n + 1) ** 3
        b = (x @ y.T / n + 1) ** 3
        t += (a.sum() - np.diag(a).sum()) / (m - 1) - b.sum() * 2 / m
    kid = t / num_subsets / m
    return float(kid)


def kid_official(official_dir, real_features, gen_features, num_subsets, max_subset_size):
    """Runs the official compute_kid itself, with its two feature-gathering calls stubbed to
    return the given features. None when the module does not import."""
    sys.path.insert(0, str(official_dir))
    try:
        import metrics.kernel_inception_distance as kid_module
    except Exception as e:                        # noqa: BLE001
        print(f'note: official KID module does not import ({e}); checked the local loop only')
        return None
    finally:
        sys.path.pop(0)

    class Stats:
        def __init__(self, f):
            self.f = f

        def get_all(self):
            return self.f

    mu = kid_module.metric_utils
    saved = mu.compute_feature_stats_for_dataset, mu.compute_feature_stats_for_generator
    mu.compute_feature_stats_for_dataset = lambda **kw: Stats(real_features)
    mu.compute_feature_stats_for_generator = lambda **kw: Stats(gen_features)
    try:
        return kid_module.compute_kid(types.SimpleNamespace(rank=0), max_real=None, num_gen=None,
                                      num_subsets=num_subsets, max_subset_size=max_subset_size)
    finally:
        mu.compute_feature_stats_for_dataset, mu.compute_feature_stats_for_generator = saved


def seeded(fn, *args):
    np.random.seed(KID_SEED)
    return fn(*args)


# ---------------------------------------------------------------- safetensors

def write_safetensors(path: pathlib.Path, tensors: dict, metadata: dict):
    fixture_io.write_safetensors(path, tensors, metadata, sort=False)


# ---------------------------------------------------------------- main

def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--official', default=os.environ.get('PEER_SRC'),
                        help='stylegan2-ada-pytorch checkout (default: $PEER_SRC)')
    parser.add_argument('--write-state-dict', metavar='PATH',
                        help='also torch.save() the deterministic Inception state_dict here')
    args = parser.parse_args()
    if not args.official:
        parser.error('--official DIR (or $PEER_SRC) is required')
    official = pathlib.Path(args.official)
    kid_source = official / 'metrics' / 'kernel_inception_distance.py'
    if not kid_source.is_file():
        parser.error(f'{kid_source} not found')

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    t0 = time.time()
    install_weights()
    sd = deterministic_state_dict()
    t_weights = time.time() - t0
    if args.write_state_dict:
        torch.save(sd, args.write_state_dict)

    rng = np.random.RandomState(IMAGE_SEED)
    dir_a, dir_b = OUT / 'a', OUT / 'b'
    write_images(dir_a, N_A, rng, shifted=False, gray_index=5)
    write_images(dir_b, N_B, rng, shifted=True, gray_index=11)
    files_a, files_b = pytorch_fid_files(dir_a), pytorch_fid_files(dir_b)

    # Images of different sizes cannot share a batch (ToTensor only, default collate), so
    # pytorch-fid runs with batch_size=1 here; the model resizes each image to 299x299.
    t1 = time.time()
    model = fid_inception.InceptionV3([fid_inception.InceptionV3.BLOCK_INDEX_BY_DIM[2048]])
    feat_a = fid_score.get_activations(files_a, model, batch_size=1, dims=2048, device='cpu',
                                       num_workers=0).astype(np.float32)
    feat_b = fid_score.get_activations(files_b, model, batch_size=1, dims=2048, device='cpu',
                                       num_workers=0).astype(np.float32)
    t_features = time.time() - t1

    t2 = time.time()
    fid = float(fid_score.calculate_fid_given_paths([str(dir_a), str(dir_b)], batch_size=1,
                                                    device='cpu', dims=2048, num_workers=0))
    t_fid = time.time() - t2
    fid_from_features = fid_sqrtm(feat_a, feat_b)
    fid_eig = fid_eigen(feat_a, feat_b)

    # KID: a are the reals, b the generated images, features float32 as the official
    # FeatureStats.get_all() gives them; n = 2048, m = min(Na, Nb, 1000).
    kid = seeded(kid_loop, feat_a, feat_b, 100, 1000)
    kid_1 = seeded(kid_loop, feat_a, feat_b, 1, 1000)
    kid_64 = seeded(kid_loop, feat_a.astype(np.float64), feat_b.astype(np.float64), 100, 1000)
    kid_1_64 = seeded(kid_loop, feat_a.astype(np.float64), feat_b.astype(np.float64), 1, 1000)
    official_kid = seeded(kid_official, official, feat_a, feat_b, 100, 1000)
    official_kid_1 = seeded(kid_official, official, feat_a, feat_b, 1, 1000)
    if official_kid is not None and (official_kid != kid or official_kid_1 != kid_1):
        raise SystemExit(f'error: local KID loop {kid}, {kid_1} != official {official_kid}, '
                         f'{official_kid_1}')

    meta = {'source': 'tools/fid_fixtures.py', 'pytorch_fid': pytorch_fid.__version__,
            'torch': torch.__version__, 'order': 'pytorch-fid sorted file list, see reference.json'}
    write_safetensors(OUT / 'features.safetensors', {'a': feat_a, 'b': feat_b}, meta)

    reference = {
        'generator': 'tools/fid_fixtures.py',
        'versions': {'pytorch_fid': pytorch_fid.__version__, 'torch': torch.__version__,
                     'torchvision': torchvision.__version__, 'numpy': np.__version__,
                     'scipy': scipy.__version__, 'pillow': PIL.__version__,
                     'python': sys.version.split()[0]},
        'official_kid': {
            'repo': 'NVlabs/stylegan2-ada-pytorch', 'commit': OFFICIAL_COMMIT,
            'file': 'metrics/kernel_inception_distance.py',
            'file_sha256': hashlib.sha256(kid_source.read_bytes()).hexdigest(),
            'checked_by_running_official_compute_kid': official_kid is not None},
        'weights': WEIGHT_FORMULA,
        'images': {'seed': IMAGE_SEED,
                   'a': [f.name for f in files_a], 'b': [f.name for f in files_b],
                   'grayscale': {'a': '005.png', 'b': '011.png'}},
        'features': {'file': 'features.safetensors', 'dims': 2048, 'dtype': 'F32',
                     'order': 'pytorch-fid: sorted(pathlib glob over its IMAGE_EXTENSIONS)',
                     'max_abs': float(max(np.abs(feat_a).max(), np.abs(feat_b).max())),
                     'min': float(min(feat_a.min(), feat_b.min()))},
        'fid': {'value': fid,
                'call': "pytorch_fid.fid_score.calculate_fid_given_paths([a, b], batch_size=1, "
                        "device='cpu', dims=2048, num_workers=0)",
                'batch_size_note': 'images differ in size, so batches of one',
                'from_stored_features_sqrtm': fid_from_features,
                'eigen_path': fid_eig,
                'eigen_path_formula': 'np.cov (ddof 1) in float64; tr sqrt(S1 S2) = sum sqrt(max('
                                      'eigvalsh(sqrt(S1) S2 sqrt(S1)), 0)), sqrt(S1) from eigh',
                'eigen_vs_pytorch_fid_rel_diff': abs(fid_eig - fid) / abs(fid)},
        'kid': {'value': kid, 'num_subsets': 100, 'kid_1subset': kid_1,
                'max_subset_size': 1000, 'm': min(N_A, N_B), 'n': 2048,
                'seed': f'np.random.seed({KID_SEED}) before the loop (global legacy RandomState)',
                'real_features': 'a', 'gen_features': 'b',
                'features_dtype': 'float32 (as the official FeatureStats.get_all())',
                'float64_features': {'value': kid_64, 'kid_1subset': kid_1_64},
                'choice_note': 'np.random.choice(N, m, replace=False) is permutation(N)[:m]; '
                               'per subset: x from gen (b) first, then y from real (a)'},
    }
    (OUT / 'reference.json').write_text(json.dumps(reference, indent=2) + '\n')

    print(f'weights {t_weights:.1f}s, features {t_features:.1f}s, '
          f'calculate_fid_given_paths {t_fid:.1f}s, total {time.time() - t0:.1f}s')
    print(f'fid {fid!r}  (from stored features {fid_from_features!r}, eigen {fid_eig!r}, '
          f'rel diff {abs(fid_eig - fid) / abs(fid):.3g})')
    print(f'kid {kid!r}  kid_1subset {kid_1!r}  (float64 {kid_64!r}, {kid_1_64!r}; '
          f'official run: {official_kid!r})')
    print(f'max |feature| {reference["features"]["max_abs"]!r}')


if __name__ == '__main__':
    main()
