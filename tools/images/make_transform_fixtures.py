#!/usr/bin/python3
"""Fixtures for test/data/transforms.test.ts: torchvision 0.14 / Pillow 9.4 on real images.

Run with Debian's python3 (python3-torchvision, python3-pil):
    /usr/bin/python3 tools/images/make_transform_fixtures.py

Inputs (written as raw bytes, HWC, under test/fixtures/transforms/inputs/):
  - Fashion-MNIST test images 0, 1, 2 (/usr/share/datasets/fashion-mnist, IDX, gzip): 28x28 'L';
  - the colour icons of Debian's chromium package (/usr/share/icons/hicolor/*/apps/chromium.png),
    convert('RGB'): 16, 24, 48, 64 and 128 px, and two non-square crops of the 128 px one.
Cases (test/fixtures/transforms/cases.json): each names its input, the torchvision.transforms.functional call
with its arguments, and the expected output (uint8 HWC, or float32 CHW for to_tensor), base64.
Draw cases record the random numbers torch drew inside get_params (torch.randint, Tensor.uniform_,
torch.randperm, torch.rand are wrapped) with the parameters torchvision returned, so the test can replay
torch's own draws through cnnc's algorithms.
"""
import base64
import gzip
import hashlib
import json
import os
import sys

import numpy as np
import torch
import torchvision
import PIL
from PIL import Image
import torchvision.transforms as T
import torchvision.transforms.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "test", "fixtures", "transforms")
FMNIST = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
ICONS = "/usr/share/icons/hicolor/{0}x{0}/apps/chromium.png"


def b64(a):
    return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii")


def fashion_mnist(n):
    with gzip.open(FMNIST, "rb") as f:
        data = f.read()
    magic, count, rows, cols = np.frombuffer(data[:16], dtype=">u4")
    assert magic == 2051 and rows == 28 and cols == 28, (magic, rows, cols)
    pixels = np.frombuffer(data[16 : 16 + n * rows * cols], dtype=np.uint8).reshape(n, rows, cols)
    return [Image.fromarray(p.copy(), "L") for p in pixels]


def main():
    os.makedirs(os.path.join(OUT, "inputs"), exist_ok=True)
    inputs = {}

    def add_input(name, img):
        a = np.asarray(img)
        with open(os.path.join(OUT, "inputs", name + ".u8"), "wb") as f:
            f.write(a.tobytes())
        inputs[name] = {"width": img.width, "height": img.height, "channels": len(img.getbands()), "file": "inputs/" + name + ".u8"}
        return img

    fm = [add_input(f"fmnist{i}", im) for i, im in enumerate(fashion_mnist(3))]
    icon = {s: add_input(f"icon{s}", Image.open(ICONS.format(s)).convert("RGB")) for s in (16, 24, 48, 64, 128)}
    wide = add_input("icon100x75", icon[128].crop((14, 26, 114, 101)))  # width 100, height 75
    tall = add_input("icon75x100", icon[128].crop((26, 14, 101, 114)))  # width 75, height 100
    imgs = {"fmnist0": fm[0], "fmnist1": fm[1], "fmnist2": fm[2], "icon16": icon[16], "icon24": icon[24],
            "icon48": icon[48], "icon64": icon[64], "icon128": icon[128], "icon100x75": wide, "icon75x100": tall}

    cases = []

    def image_case(name, input_name, op, args, out):
        a = np.asarray(out)
        cases.append({"name": name, "input": input_name, "op": op, "args": args,
                      "out": {"width": out.width, "height": out.height, "channels": len(out.getbands()), "data": b64(a)}})

    def tensor_case(name, input_name, op, args, t):
        a = t.numpy().astype(np.float32)
        cases.append({"name": name, "input": input_name, "op": op, "args": args,
                      "out": {"shape": list(a.shape), "float32": b64(a)}})

    # ---- resize: torchvision.transforms.functional.resize on PIL (bilinear, antialias) ----
    resizes = [
        ("fmnist0", 32), ("fmnist0", 56), ("fmnist1", 84), ("fmnist1", 9), ("fmnist2", 7), ("fmnist2", [13, 40]),
        ("fmnist0", [28, 17]), ("fmnist0", [45, 28]),  # one axis only: a pass skipped
        ("icon64", 21), ("icon64", [37, 100]), ("icon128", 43), ("icon16", 48), ("icon24", [72, 61]), ("icon16", [5, 3]),
        ("icon100x75", 32), ("icon100x75", 33), ("icon75x100", 32), ("icon100x75", [20, 50]),
        ("icon100x75", [75, 40]), ("icon100x75", [30, 100]), ("icon24", 24),
    ]
    for name, size in resizes:
        image_case(f"resize {name} {size}", name, "resize", {"size": size}, F.resize(imgs[name], size))

    # ---- center_crop: smaller, larger, odd differences (Python's round is half-to-even) ----
    for name, size in [("fmnist0", 20), ("fmnist0", 25), ("fmnist0", 27), ("fmnist1", 35), ("fmnist1", [30, 20]),
                       ("fmnist2", [27, 31]), ("icon100x75", [75, 51]), ("icon100x75", [60, 99]),
                       ("icon75x100", 80), ("icon16", 16)]:
        image_case(f"center_crop {name} {size}", name, "center_crop", {"size": size}, F.center_crop(imgs[name], size))

    # ---- pad: every mode; padding wider than the image for reflect and symmetric ----
    for mode in ("constant", "edge", "reflect", "symmetric"):
        image_case(f"pad icon16 [3,1,2,5] {mode}", "icon16", "pad", {"padding": [3, 1, 2, 5], "fill": 0, "mode": mode},
                   F.pad(icon[16], [3, 1, 2, 5], fill=0, padding_mode=mode))
        image_case(f"pad fmnist0 [2,4] {mode}", "fmnist0", "pad", {"padding": [2, 4], "fill": 0, "mode": mode},
                   F.pad(fm[0], [2, 4], fill=0, padding_mode=mode))
    for mode in ("reflect", "symmetric"):
        image_case(f"pad icon16 [37,20,1,0] {mode}", "icon16", "pad", {"padding": [37, 20, 1, 0], "fill": 0, "mode": mode},
                   F.pad(icon[16], [37, 20, 1, 0], padding_mode=mode))
    image_case("pad icon16 4 constant fill [10,200,30]", "icon16", "pad", {"padding": 4, "fill": [10, 200, 30], "mode": "constant"},
               F.pad(icon[16], 4, fill=(10, 200, 30), padding_mode="constant"))
    image_case("pad fmnist1 3 constant fill 77", "fmnist1", "pad", {"padding": 3, "fill": 77, "mode": "constant"},
               F.pad(fm[1], 3, fill=77, padding_mode="constant"))

    # ---- crop (in and partly out of the image: PIL fills 0) and hflip ----
    for name, (top, left, h, w) in [("icon48", (5, 7, 20, 30)), ("icon48", (30, 40, 25, 20)), ("fmnist0", (-3, 2, 10, 12))]:
        image_case(f"crop {name} {(top, left, h, w)}", name, "crop", {"top": top, "left": left, "height": h, "width": w},
                   F.crop(imgs[name], top, left, h, w))
    for name in ("icon24", "fmnist1", "icon16"):
        image_case(f"hflip {name}", name, "hflip", {}, F.hflip(imgs[name]))

    # ---- colour: ImageEnhance through torchvision ----
    for name in ("icon48", "fmnist0", "icon24"):
        for fb in (0.0, 0.3, 0.7, 0.77, 1.0, 1.1, 1.7):
            image_case(f"brightness {name} {fb}", name, "brightness", {"factor": fb}, F.adjust_brightness(imgs[name], fb))
        for fc in (0.0, 0.5, 0.7, 0.9, 1.9):
            image_case(f"contrast {name} {fc}", name, "contrast", {"factor": fc}, F.adjust_contrast(imgs[name], fc))
        for fs in (0.0, 0.2, 0.7, 1.3, 2.5):
            image_case(f"saturation {name} {fs}", name, "saturation", {"factor": fs}, F.adjust_saturation(imgs[name], fs))
    for name in ("icon48", "icon24"):
        for fh in (0.1, -0.27, 0.5, -0.5, 0.013):
            image_case(f"hue {name} {fh}", name, "hue", {"factor": fh}, F.adjust_hue(imgs[name], fh))

    # ---- to_tensor + normalize ----
    tensor_case("to_tensor icon24", "icon24", "to_tensor", {}, F.to_tensor(icon[24]))
    tensor_case("to_tensor fmnist0", "fmnist0", "to_tensor", {}, F.to_tensor(fm[0]))
    for name, mean, std in [("fmnist0", [0.1307], [0.3081]), ("icon24", [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
                            ("icon16", [0.5], [0.5]), ("fmnist2", [0.2860], [0.3530])]:
        tensor_case(f"normalize {name} {mean} {std}", name, "to_tensor", {"mean": mean, "std": std},
                    F.normalize(F.to_tensor(imgs[name]), mean, std))

    # ---- a Compose of deterministic transforms, to the normalized tensor ----
    compose = [({"kind": "resize", "size": 36}, T.Resize(36)), ({"kind": "center_crop", "size": 32}, T.CenterCrop(32)),
               ({"kind": "normalize", "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
                T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]))]
    for name in ("icon100x75", "icon75x100", "icon128"):
        t = T.Compose([c[1] for c in compose[:2]] + [T.ToTensor(), compose[2][1]])(imgs[name])
        tensor_case(f"pipeline {name} resize 36, center_crop 32, normalize", name, "pipeline", {"transforms": [c[0] for c in compose]}, t)

    # ---- the random transforms' apply with fixed parameters ----
    for name, (top, left, h, w), size in [("icon128", (10, 20, 60, 90), [32, 32]), ("icon100x75", (0, 0, 75, 100), [24, 24]),
                                          ("fmnist0", (3, 5, 20, 11), [28, 28]), ("icon64", (7, 9, 31, 17), [40, 16])]:
        image_case(f"resized_crop {name} {(top, left, h, w)} {size}", name, "resized_crop",
                   {"top": top, "left": left, "height": h, "width": w, "size": size},
                   F.resized_crop(imgs[name], top, left, h, w, size))

    class FixedCrop(T.RandomCrop):
        params = (0, 0)

        def get_params(self, img, output_size):
            return self.params[0], self.params[1], output_size[0], output_size[1]

    for name, spec, params in [
        ("icon24", {"size": 24, "padding": 4}, (3, 6)),
        ("icon24", {"size": [20, 28], "padding": [2, 3], "padding_mode": "reflect"}, (5, 1)),
        ("fmnist0", {"size": 28, "padding": 4, "padding_mode": "edge", "fill": 0}, (8, 0)),
        ("icon16", {"size": 20, "pad_if_needed": True, "padding_mode": "symmetric"}, (2, 17)),
        ("icon16", {"size": [12, 30], "pad_if_needed": True, "fill": [255, 0, 128]}, (1, 9)),
    ]:
        kw = {k: v for k, v in spec.items() if k != "size"}
        if isinstance(kw.get("fill"), list):
            kw["fill"] = tuple(kw["fill"])
        tr = FixedCrop(spec["size"], **kw)
        tr.params = params
        image_case(f"random_crop {name} {spec} at {params}", name, "random_crop",
                   {"transform": dict(kind="random_crop", **spec), "params": {"top": params[0], "left": params[1]}}, tr(imgs[name]))

    for name, order, factors in [("icon64", [2, 0, 3, 1], {"brightness": 1.25, "contrast": 0.6, "saturation": 1.8, "hue": -0.08}),
                                 ("icon48", [1, 3, 2, 0], {"brightness": 0.5, "contrast": 1.45, "saturation": 0.3, "hue": 0.21}),
                                 ("fmnist1", [3, 1, 0, 2], {"brightness": 0.8, "contrast": 1.3, "saturation": 0.5})]:
        im = imgs[name]
        fns = [F.adjust_brightness, F.adjust_contrast, F.adjust_saturation, F.adjust_hue]
        keys = ["brightness", "contrast", "saturation", "hue"]
        for i in order:
            if keys[i] in factors:
                im = fns[i](im, factors[keys[i]])
        image_case(f"color_jitter {name} order {order} {factors}", name, "color_jitter", {"params": dict(order=order, **factors)}, im)

    # ---- a seeded sweep of sizes and factors, outputs as SHA-256 (kept small): random crops of the inputs ----
    sweep = []
    rng = np.random.default_rng(2026)
    names = sorted(imgs)

    def sweep_case(op, args, fn):
        name = names[rng.integers(len(names))]
        src = imgs[name]
        w = int(rng.integers(1, src.width + 1))
        h = int(rng.integers(1, src.height + 1))
        left = int(rng.integers(0, src.width - w + 1))
        top = int(rng.integers(0, src.height - h + 1))
        im = F.crop(src, top, left, h, w)
        out = fn(im, args)
        sweep.append({"input": name, "crop": [top, left, h, w], "op": op, "args": args,
                      "out": [out.height, out.width, len(out.getbands())],
                      "sha256": hashlib.sha256(np.asarray(out).tobytes()).hexdigest()})

    for _ in range(200):
        kind = rng.integers(4)
        if kind == 0:
            size = int(rng.integers(1, 80))  # smaller edge
        elif kind == 1:
            size = [int(rng.integers(1, 20)), int(rng.integers(1, 20))]  # mostly down
        else:
            size = [int(rng.integers(1, 90)), int(rng.integers(1, 90))]
        sweep_case("resize", {"size": size}, lambda im, a: F.resize(im, a["size"]))
    for _ in range(40):
        size = [int(rng.integers(1, 60)), int(rng.integers(1, 60))]
        sweep_case("center_crop", {"size": size}, lambda im, a: F.center_crop(im, a["size"]))
    for _ in range(40):
        mode = ["constant", "edge", "reflect", "symmetric"][rng.integers(4)]
        padding = [int(v) for v in rng.integers(0, 30, 4)]
        sweep_case("pad", {"padding": padding, "fill": 0, "mode": mode},
                   lambda im, a: F.pad(im, a["padding"], padding_mode=a["mode"]))
    for _ in range(150):
        op = ["brightness", "contrast", "saturation"][rng.integers(3)]
        factor = float(np.float32(rng.uniform(0, 2.5)))
        fn = {"brightness": F.adjust_brightness, "contrast": F.adjust_contrast, "saturation": F.adjust_saturation}[op]
        sweep_case(op, {"factor": factor}, lambda im, a, fn=fn: fn(im, a["factor"]))
    for _ in range(60):
        factor = float(np.float32(rng.uniform(-0.5, 0.5)))
        sweep_case("hue", {"factor": factor}, lambda im, a: F.adjust_hue(im, a["factor"]))

    # ---- torch's own draws inside get_params, for the test to replay ----
    draws = []
    orig = {"randint": torch.randint, "randperm": torch.randperm, "rand": torch.rand, "uniform_": torch.Tensor.uniform_}

    def randint(low, high, size, **kw):
        v = orig["randint"](low, high, size, **kw)
        draws.append({"f": "integer", "lo": int(low), "hi": int(high), "v": int(v.item())})
        return v

    def randperm(n, **kw):
        v = orig["randperm"](n, **kw)
        draws.append({"f": "permutation", "n": int(n), "v": [int(x) for x in v]})
        return v

    def rand(*size, **kw):
        v = orig["rand"](*size, **kw)
        draws.append({"f": "uniform", "lo": 0.0, "hi": 1.0, "v": float(v.item())})
        return v

    def uniform_(self, a=0.0, b=1.0, **kw):
        v = orig["uniform_"](self, a, b, **kw)
        draws.append({"f": "uniform", "lo": float(a), "hi": float(b), "v": float(v.item())})
        return v

    torch.randint, torch.randperm, torch.rand, torch.Tensor.uniform_ = randint, randperm, rand, uniform_
    draw_cases = []

    def record(name, spec, size, fn):
        draws.clear()
        result = fn()
        draw_cases.append({"name": name, "transform": spec, "imageSize": list(size), "draws": list(draws), "params": result})

    try:
        for seed in range(6):
            for (h, w), scale, ratio in [((375, 500), (0.08, 1.0), (3 / 4, 4 / 3)), ((28, 28), (0.5, 1.0), (0.9, 1.1)),
                                         ((100, 75), (0.08, 1.0), (3 / 4, 4 / 3))]:
                torch.manual_seed(seed)
                img = Image.new("L", (w, h))
                record(f"random_resized_crop seed {seed} {h}x{w} scale {scale} ratio {ratio}",
                       {"kind": "random_resized_crop", "size": 32, "scale": list(scale), "ratio": list(ratio)}, (h, w),
                       lambda: dict(zip(("top", "left", "height", "width"), T.RandomResizedCrop.get_params(img, list(scale), list(ratio)))))
        # The fallback: every attempt too large (scale > 1), for an image wider than, taller than, and inside the ratio range.
        for (h, w), ratio in [((20, 90), (3 / 4, 4 / 3)), ((90, 20), (3 / 4, 4 / 3)), ((30, 35), (3 / 4, 4 / 3)), ((33, 50), (2.0, 3.0))]:
            torch.manual_seed(1)
            img = Image.new("L", (w, h))
            record(f"random_resized_crop fallback {h}x{w} ratio {ratio}",
                   {"kind": "random_resized_crop", "size": 16, "scale": [4.0, 9.0], "ratio": list(ratio)}, (h, w),
                   lambda: dict(zip(("top", "left", "height", "width"), T.RandomResizedCrop.get_params(img, [4.0, 9.0], list(ratio)))))
        for seed in range(4):
            for spec, (h, w) in [({"size": 32, "padding": 4}, (32, 32)), ({"size": [20, 28], "padding": [2, 3]}, (24, 24)),
                                 ({"size": 20, "pad_if_needed": True}, (16, 16)), ({"size": 16}, (16, 16))]:
                torch.manual_seed(seed)
                kw = {k: v for k, v in spec.items() if k != "size"}
                img = Image.new("L", (w, h))
                tr = T.RandomCrop(spec["size"], **kw)
                captured = {}
                original_get_params = T.RandomCrop.get_params

                def spy(im, output_size):
                    i, j, th, tw = original_get_params(im, output_size)
                    captured.update(top=i, left=j)
                    return i, j, th, tw

                tr.get_params = spy
                record(f"random_crop seed {seed} {spec} on {h}x{w}", dict(kind="random_crop", **spec), (h, w),
                       lambda: (tr(img), captured)[1])
            for spec in [{"brightness": 0.4, "contrast": 0.4, "saturation": 0.4, "hue": 0.1}, {"brightness": [0.5, 1.5]},
                         {"contrast": 0.2, "saturation": [0.0, 2.0]}]:
                torch.manual_seed(seed)
                kw = {k: (tuple(v) if isinstance(v, list) else v) for k, v in spec.items()}
                tr = T.ColorJitter(**kw)
                names = ("brightness", "contrast", "saturation", "hue")

                def jitter_params():
                    order, *factors = T.ColorJitter.get_params(tr.brightness, tr.contrast, tr.saturation, tr.hue)
                    out = {"order": [int(x) for x in order]}
                    out.update({k: v for k, v in zip(names, factors) if v is not None})
                    return out

                record(f"color_jitter seed {seed} {spec}", dict(kind="color_jitter", **spec), (8, 8), jitter_params)
            torch.manual_seed(seed)
            flip = T.RandomHorizontalFlip(0.3)
            ramp = Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8), "L")
            record(f"random_horizontal_flip seed {seed} p=0.3", {"kind": "random_horizontal_flip", "p": 0.3}, (8, 8),
                   lambda: {"flip": flip(ramp).tobytes() != ramp.tobytes()})
    finally:
        torch.randint, torch.randperm, torch.rand, torch.Tensor.uniform_ = orig["randint"], orig["randperm"], orig["rand"], orig["uniform_"]

    meta = {"generator": "tools/images/make_transform_fixtures.py", "torch": torch.__version__,
            "torchvision": torchvision.__version__, "pillow": PIL.__version__, "numpy": np.__version__}
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump({"meta": meta, "inputs": inputs, "cases": cases, "sweep": sweep, "draws": draw_cases}, f, separators=(",", ":"))
    total = sum(os.path.getsize(os.path.join(dp, fn)) for dp, _, fns in os.walk(OUT) for fn in fns)
    print(f"{len(cases)} cases, {len(sweep)} sweep cases, {len(draw_cases)} draw cases, {total} bytes under {os.path.relpath(OUT, ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
