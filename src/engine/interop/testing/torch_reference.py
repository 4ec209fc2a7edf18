#!/usr/bin/env python3
"""The PyTorch side of the parity tests (src/engine/interop/parity.test.ts), run with Debian's
real PyTorch and torchvision (/usr/bin/python3). One job per call, described by a JSON file:

- "zoo": every architecture at `size` px and `classes` classes, seeded random weights with random
  BatchNorm statistics and affine parameters (so every tensor of the state dict matters), saved as
  .pth (torch.save) or .safetensors; a fixed input's logits in eval mode and in train mode (BatchNorm
  on batch statistics, dropout and stochastic depth off), and the running statistics after that
  one train-mode forward; the train-mode logits and statistics also from a float64 copy of the
  network (`train64`, `bn64.*`), the exact answer both float32 libraries are measured against.
- "step": one KD+ML online step of a cohort (teacher CE; students alpha CE + beta KD + gamma ML,
  tempered KL with detached targets, batchmean) with SGD (momentum, L2 weight decay, PyTorch's
  semantics), from the weights and batch the test wrote; the loss terms and every tensor after.
- "check": exported networks back in PyTorch: .safetensors loaded with load_state_dict(strict=True)
  into the torchvision module, TorchScript through python/to_torchscript.py, onnx.checker on the
  .onnx; the outputs on the test's images.

Data goes both ways as .safetensors (read and written by python/to_torchscript.py's helpers).
"""
import copy
import json
import os
import sys

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "python"))
from to_torchscript import build_model, load_exported, read_safetensors, write_safetensors  # noqa: E402

torch.set_num_threads(2)


def randomise(m, gen):
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            with torch.no_grad():
                mod.weight.copy_(torch.rand(mod.weight.shape, generator=gen) + 0.5)
                mod.bias.copy_(torch.randn(mod.bias.shape, generator=gen) * 0.1)
                mod.running_mean.copy_(torch.randn(mod.running_mean.shape, generator=gen) * 0.1)
                mod.running_var.copy_(torch.rand(mod.running_var.shape, generator=gen) + 0.5)
        elif isinstance(mod, nn.Linear) and mod.bias is not None:
            with torch.no_grad():
                mod.bias.copy_(torch.randn(mod.bias.shape, generator=gen) * 0.1)


def random_layers_off(m):
    """Train mode with dropout and stochastic depth off: their masks come from another generator."""
    m.train()
    for mod in m.modules():
        if isinstance(mod, nn.Dropout) or type(mod).__name__ == "StochasticDepth":
            mod.eval()


def bn_stats(m):
    out = {}
    for name, mod in m.named_modules():
        if isinstance(mod, nn.BatchNorm2d):
            out[f"{name}.running_mean"] = mod.running_mean.clone()
            out[f"{name}.running_var"] = mod.running_var.clone()
    return out


def zoo(job):
    size, classes, batch = job["size"], job["classes"], job["batch"]
    x = torch.randn(batch, 3, size, size, generator=torch.Generator().manual_seed(1234))
    write_safetensors(os.path.join(job["out"], "input.safetensors"), {"x": x})
    for i, arch in enumerate(job["archs"]):
        gen = torch.Generator().manual_seed(100 + i)
        torch.manual_seed(100 + i)
        m = build_model(arch, classes)
        randomise(m, gen)
        sd = m.state_dict()
        fmt = job["formats"][i]
        path = os.path.join(job["out"], f"{arch}.{fmt}")
        if fmt == "pth":
            torch.save(sd, path)
        else:
            write_safetensors(path, sd)
        with torch.no_grad():
            m.eval()
            y_eval = m(x)
            # The same network in float64, before the train-mode forward moves its statistics: the
            # exact answer against which float32's own rounding (PyTorch's and ours) is measured.
            m64 = copy.deepcopy(m).double()
            random_layers_off(m)
            y_train = m(x)
            random_layers_off(m64)
            y_train64 = m64(x.double())
        ref = {"eval": y_eval, "train": y_train, "train64": y_train64}
        ref.update({f"bn.{k}": v for k, v in bn_stats(m).items()})
        ref.update({f"bn64.{k}": v for k, v in bn_stats(m64).items()})
        del m64
        write_safetensors(os.path.join(job["out"], f"{arch}.ref.safetensors"), ref)
        del m, sd


def kl_batchmean(target_logits, student_logits, t):
    log_p = F.log_softmax(target_logits.detach() / t, dim=1)
    log_s = F.log_softmax(student_logits / t, dim=1)
    return (log_p.exp() * (log_p - log_s)).sum(1).mean()


def step(job):
    h = job["hyper"]
    data, _ = read_safetensors(os.path.join(job["out"], "batch.safetensors"))
    x, y = data["x"], data["y"]  # NCHW normalised images, one-hot labels
    nets = {}
    for n in job["networks"]:
        m = build_model(n["arch"], job["classes"], n.get("width", 1.0))
        w, _ = read_safetensors(os.path.join(job["out"], f"{n['name']}.before.safetensors"))
        m.load_state_dict(w, strict=True)
        random_layers_off(m)
        nets[n["name"]] = m
    outs = {k: m(x) for k, m in nets.items()}
    students = [n["name"] for n in job["networks"] if n["role"] == "student"]
    teacher = next(n["name"] for n in job["networks"] if n["role"] == "teacher")
    terms = {}
    total = 0
    for name, z in outs.items():
        ce = -(y * F.log_softmax(z, dim=1)).sum(1).mean()
        if name == teacher:
            t = {"ce": ce, "kd": torch.zeros(()), "ml": torch.zeros(())}
        else:
            kd = h["beta"] * kl_batchmean(outs[teacher], z, h["temperature"])
            ml = h["gamma"] * sum(kl_batchmean(outs[p], z, h["temperature"]) for p in students if p != name)
            t = {"ce": h["alpha"] * ce, "kd": kd, "ml": ml}
        t["total"] = t["ce"] + t["kd"] + t["ml"]
        terms[name] = t
        total = total + t["total"]
    for m in nets.values():
        m.zero_grad()
    total.backward()
    result = {}
    for name, m in nets.items():
        opt = torch.optim.SGD(m.parameters(), lr=h["lr"], momentum=h["momentum"], weight_decay=h["weightDecay"])
        opt.step()
        for k, v in m.state_dict().items():
            result[f"{name}.{k}"] = v
        for k, v in terms[name].items():
            result[f"loss.{name}.{k}"] = v.detach().reshape(())
        result[f"logits.{name}"] = outs[name].detach()
    write_safetensors(os.path.join(job["out"], "step.after.safetensors"), result)


def check(job):
    import onnx

    data, _ = read_safetensors(os.path.join(job["out"], "images.safetensors"))
    x = data["x"]
    out = {}
    for name in job["networks"]:
        st = os.path.join(job["out"], f"{name}.safetensors")
        model, meta = load_exported(st)
        with torch.no_grad():
            out[f"{name}.torchvision"] = model(x)
        ts_path = os.path.join(job["out"], f"{name}.torchscript.pt")
        from to_torchscript import main as to_ts

        to_ts([st, "--out", ts_path])
        ts = torch.jit.load(ts_path)
        with torch.no_grad():
            out[f"{name}.torchscript"] = ts(x)
        onnx_model = onnx.load(os.path.join(job["out"], f"{name}.onnx"))
        onnx.checker.check_model(onnx_model, full_check=True)
        out[f"{name}.onnx_opset"] = torch.tensor([float(onnx_model.opset_import[0].version)])
    write_safetensors(os.path.join(job["out"], "check.out.safetensors"), out)


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        job = json.load(f)
    {"zoo": zoo, "step": step, "check": check}[job["kind"]](job)
