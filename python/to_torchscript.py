#!/usr/bin/env python3
"""Turn a network exported by Cohort Studio (<name>.safetensors, torchvision's keys) into a
TorchScript module (torchscript_model.pt) for QuPath, WSInfer or MONAI Deploy.

    python3 to_torchscript.py student1.safetensors [--out torchscript_model.pt]

The architecture, class count, width multiplier and task are read from the file's metadata
(`__metadata__`: arch, classes, width, task, inputSize). The module takes NCHW float32 input
normalised as the bundle's ensemble.json says (x = (rgb / 255 - mean) / std) and returns logits
(classification) or (cx, cy, w, h) in [0, 1] (box). Needs torch and torchvision only (the
`safetensors` package is used when installed, and read here otherwise).

`build_model` also serves as the reference of which torchvision module each zoo network is:
width 1 is `torchvision.models.<arch>(num_classes=C)`; `_nofc` VGGs are torchvision's VGG with
`avgpool = AdaptiveAvgPool2d(1)` and `classifier = Linear(512, C)`; other widths scale the
channels exactly as the studio does.
"""
import argparse
import json
import math
import struct
import sys

import torch
from torch import nn
import torchvision
from torchvision.models import resnet as tv_resnet
from torchvision.models import efficientnet as tv_efficientnet
from torchvision.models import vgg as tv_vgg

_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64, "I64": torch.int64, "I32": torch.int32}


def read_safetensors(path):
    """(tensors by name, metadata) of a .safetensors file."""
    try:
        from safetensors import safe_open  # type: ignore

        with safe_open(path, framework="pt") as f:
            return {k: f.get_tensor(k) for k in f.keys()}, f.metadata() or {}
    except ImportError:
        pass
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    meta = header.pop("__metadata__", {}) or {}
    data = raw[8 + n :]
    tensors = {}
    for key, e in header.items():
        b, end = e["data_offsets"]
        buf = bytearray(data[b:end])
        t = torch.frombuffer(buf, dtype=_DTYPES[e["dtype"]]) if buf else torch.empty(0, dtype=_DTYPES[e["dtype"]])
        tensors[key] = t.reshape(e["shape"]).clone()
    return tensors, meta


def write_safetensors(path, tensors, metadata=None):
    """Write float32/int64 tensors (contiguous, little-endian) as .safetensors."""
    names = {torch.float32: "F32", torch.int64: "I64", torch.float64: "F64", torch.int32: "I32"}
    header, blobs, at = {}, [], 0
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    for key, t in tensors.items():
        t = t.detach().contiguous().cpu()
        b = t.numpy().tobytes()
        header[key] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [at, at + len(b)]}
        blobs.append(b)
        at += len(b)
    js = json.dumps(header).encode()
    js += b" " * ((8 - len(js) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)))
        f.write(js)
        for b in blobs:
            f.write(b)


def scale_channels(c, width):
    """The studio's width rule for ResNet, VGG and DenseNet: multiples of 4, at least 4."""
    if width == 1:
        return c
    return max(4, int(math.floor(c * width / 4 + 0.5)) * 4)


_VGG_CFG = {"vgg11": "A", "vgg16": "D", "vgg19": "E"}
_RESNET = {
    "resnet18": (tv_resnet.BasicBlock, [2, 2, 2, 2]),
    "resnet34": (tv_resnet.BasicBlock, [3, 4, 6, 3]),
    "resnet50": (tv_resnet.Bottleneck, [3, 4, 6, 3]),
    "resnet101": (tv_resnet.Bottleneck, [3, 4, 23, 3]),
    "resnet152": (tv_resnet.Bottleneck, [3, 8, 36, 3]),
}
_DENSENET = {"densenet121": (6, 12, 24, 16), "densenet201": (6, 12, 48, 32)}


def build_model(arch, classes, width=1.0, task="classify"):
    """The torchvision module of a zoo network; its state_dict has the keys the studio exports."""
    out = 4 if task == "box" else classes
    if arch in _RESNET:
        block, layers = _RESNET[arch]
        m = tv_resnet.ResNet(block, layers, num_classes=out)
        if width != 1:
            c0 = scale_channels(64, width)
            m.inplanes = c0
            m.conv1 = nn.Conv2d(3, c0, kernel_size=7, stride=2, padding=3, bias=False)
            m.bn1 = nn.BatchNorm2d(c0)
            m.layer1 = m._make_layer(block, scale_channels(64, width), layers[0])
            m.layer2 = m._make_layer(block, scale_channels(128, width), layers[1], stride=2)
            m.layer3 = m._make_layer(block, scale_channels(256, width), layers[2], stride=2)
            m.layer4 = m._make_layer(block, scale_channels(512, width), layers[3], stride=2)
            m.fc = nn.Linear(scale_channels(512, width) * block.expansion, out)
        return m
    base = arch[: -len("_nofc")] if arch.endswith("_nofc") else arch
    if base in _VGG_CFG:
        cfg = [v if v == "M" else scale_channels(v, width) for v in tv_vgg.cfgs[_VGG_CFG[base]]]
        m = tv_vgg.VGG(tv_vgg.make_layers(cfg, batch_norm=False), num_classes=out)
        last = scale_channels(512, width)
        if arch.endswith("_nofc"):
            m.avgpool = nn.AdaptiveAvgPool2d(1)
            m.classifier = nn.Linear(last, out)
        elif width != 1:
            h = scale_channels(4096, width)
            m.classifier = nn.Sequential(
                nn.Linear(last * 49, h), nn.ReLU(True), nn.Dropout(0.5), nn.Linear(h, h), nn.ReLU(True), nn.Dropout(0.5), nn.Linear(h, out)
            )
        return m
    if arch in _DENSENET:
        return torchvision.models.DenseNet(
            growth_rate=scale_channels(32, width), block_config=_DENSENET[arch], num_init_features=scale_channels(64, width), num_classes=out
        )
    if arch in ("efficientnet_b0", "efficientnet_b1"):
        setting, last = tv_efficientnet._efficientnet_conf(arch, width_mult=1.0 * width, depth_mult=1.0 if arch == "efficientnet_b0" else 1.1)
        return tv_efficientnet.EfficientNet(setting, 0.2, num_classes=out, last_channel=last)
    if arch == "mobilenet_v2":
        return torchvision.models.mobilenet_v2(num_classes=out, width_mult=width)
    raise SystemExit(f"error: unknown architecture {arch!r}")


class _BoxHead(nn.Module):
    """A box network's output: the Linear's 4 values through a sigmoid, as in the studio."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return torch.sigmoid(self.net(x))


def load_exported(path):
    """The torchvision module of an exported .safetensors, weights loaded strictly, in eval mode."""
    tensors, meta = read_safetensors(path)
    missing = [k for k in ("arch", "classes") if k not in meta]
    if missing:
        raise SystemExit(f"error: {path} has no {', '.join(missing)} in its metadata: was it exported by Cohort Studio?")
    task = meta.get("task", "classify")
    m = build_model(meta["arch"], int(meta["classes"]), float(meta.get("width", "1")), task)
    m.load_state_dict(tensors, strict=True)
    m.eval()
    return (_BoxHead(m) if task == "box" else m), meta


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("weights", help="an exported <name>.safetensors")
    p.add_argument("--out", default="torchscript_model.pt")
    a = p.parse_args(argv)
    model, meta = load_exported(a.weights)
    size = int(meta.get("inputSize", "224"))
    with torch.no_grad():
        scripted = torch.jit.trace(model, torch.zeros(1, 3, size, size))
    torch.jit.save(scripted, a.out)
    print(f"wrote {a.out}: {meta['arch']}, {meta['classes']} classes, input [N, 3, {size}, {size}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
