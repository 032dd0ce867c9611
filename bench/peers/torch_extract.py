"""Tuned PyTorch bottleneck extraction: the peer `npm run bench` compares Retrain Studio against.

What an ML engineer writes in an afternoon: PIL decode with draft() (libjpeg-turbo DCT scaling),
centre crop + bilinear resize to 224, [-1, 1]; DataLoader with 2 worker processes; a
TorchScript-frozen MobileNetV2 0.35 in channels_last; batch 32; 2 intra-op threads.

Weights: torchvision's MobileNetV2 architecture at width 0.35 (same layer shapes as the app's
Keras model, 1280 pooled features) with random weights: speed does not depend on weight values.

Usage: python torch_extract.py --list FILE [--batch 32] [--workers 2] [--threads 2] [--size 224]
  FILE holds one image path a line. Prints one JSON object on the last line of stdout:
  {"decode_only": img/s, "forward_only": img/s, "end_to_end": img/s, "images": n, ...}.
"""
import argparse
import json
import sys
import time

import numpy as np
import torch
from PIL import Image


def tolerate_fake_kernels():
    """torchvision 0.28 (a CUDA build) registers fake kernels for C ops that do not load beside a
    CPU torch; its model definitions need none of them, so a failed registration is ignored."""
    original = torch.library.register_fake

    def tolerant(*args, **kwargs):
        try:
            decorator = original(*args, **kwargs)
        except Exception:
            return lambda f: f

        def wrap(f):
            try:
                return decorator(f)
            except Exception:
                return f

        return wrap

    torch.library.register_fake = tolerant


def load_image(path, size):
    image = Image.open(path)
    image.draft('RGB', (size, size))  # DCT-scaled decode: the largest 1/2^k still >= size
    image = image.convert('RGB')
    w, h = image.size
    s = min(w, h)
    box = ((w - s) / 2, (h - s) / 2, (w + s) / 2, (h + s) / 2)
    image = image.resize((size, size), Image.BILINEAR, box=box)
    a = np.asarray(image, dtype=np.float32)
    return torch.from_numpy(a / 127.5 - 1.0).permute(2, 0, 1)


class Files(torch.utils.data.Dataset):
    def __init__(self, paths, size):
        self.paths = paths
        self.size = size

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        return load_image(self.paths[i], self.size)


def build_model(size, threads):
    tolerate_fake_kernels()
    import torchvision.models as models

    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)
    net = models.mobilenet_v2(width_mult=0.35)
    extractor = torch.nn.Sequential(net.features, torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())
    extractor.eval()
    extractor = extractor.to(memory_format=torch.channels_last)
    example = torch.zeros(1, 3, size, size).to(memory_format=torch.channels_last)
    with torch.no_grad():
        traced = torch.jit.freeze(torch.jit.trace(extractor, example))
        for _ in range(3):
            traced(torch.zeros(32, 3, size, size).to(memory_format=torch.channels_last))
    return traced


def loader(paths, size, batch, workers):
    return torch.utils.data.DataLoader(Files(paths, size), batch_size=batch, num_workers=workers, persistent_workers=False)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--list')
    parser.add_argument('--check', action='store_true', help='print torch-ok when torch and torchvision models import')
    parser.add_argument('--batch', type=int, default=32)
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--size', type=int, default=224)
    args = parser.parse_args()
    if args.check:
        tolerate_fake_kernels()
        import torchvision.models  # noqa: F401

        print('torch-ok', torch.__version__)
        return
    if not args.list:
        sys.exit('--list FILE is required')
    with open(args.list) as f:
        paths = [line.strip() for line in f if line.strip()]
    if not paths:
        sys.exit('no images in ' + args.list)
    model = build_model(args.size, args.threads)

    # Decode only: the DataLoader alone (2 processes), results dropped.
    start = time.perf_counter()
    n = 0
    for x in loader(paths, args.size, args.batch, args.workers):
        n += x.shape[0]
    decode_only = n / (time.perf_counter() - start)

    # Forward only: the frozen model on a fixed batch, as many images as the set.
    x = torch.rand(args.batch, 3, args.size, args.size).to(memory_format=torch.channels_last)
    start = time.perf_counter()
    done = 0
    with torch.no_grad():
        while done < len(paths):
            model(x)
            done += args.batch
    forward_only = done / (time.perf_counter() - start)

    # End to end: decode in the loader's processes while the model runs.
    start = time.perf_counter()
    features = []
    with torch.no_grad():
        for x in loader(paths, args.size, args.batch, args.workers):
            features.append(model(x.to(memory_format=torch.channels_last)))
    end_to_end = len(paths) / (time.perf_counter() - start)
    out = torch.cat(features)
    print(json.dumps({
        'decode_only': decode_only,
        'forward_only': forward_only,
        'end_to_end': end_to_end,
        'images': len(paths),
        'feature_size': int(out.shape[1]),
        'torch': torch.__version__,
        'threads': args.threads,
        'workers': args.workers,
        'batch': args.batch,
        'weights': 'random (torchvision mobilenet_v2 width 0.35 architecture)',
    }))


if __name__ == '__main__':
    main()
