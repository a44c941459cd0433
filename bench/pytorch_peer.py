#!/usr/bin/python3
"""PyTorch peer of SKD Lab's throughput benchmark (`skd bench`).

Builds the same networks as src/trainer/models (resnet.ts, cnn.ts, mobilenet.ts), layer for
layer, and times plain SGD training steps (cross-entropy, batch norm in training mode) on a fixed
random batch. Prints one JSON object on stdout.

Mirroring notes: tf.js 'same' padding with stride 2 pads the extra row at the bottom/right while
padding=k//2 pads both sides; the work per step is the same. Max pooling 'same' on odd sizes is
ceil_mode=True. Keras batch-norm momentum 0.9 is PyTorch's momentum 0.1.

usage: pytorch_peer.py --teacher '{"model":"resnet","depth":8,"width":16}' \
                       --student '{"model":"cnn","width":8}' [--batch 64] [--seconds 5] [--threads 2]
                       [--device cpu|cuda]
       pytorch_peer.py --params '[{"model":"cnn","width":8}, ...]'   (trainable parameter counts only)
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_bn(cin, cout, k, stride):
    return [nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False), nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)]


class BasicBlock(nn.Module):
    """resnet.ts basicBlock: conv-bn-relu, conv-bn, projection shortcut where the shape changes."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.body = nn.Sequential(*conv_bn(cin, cout, 3, stride), nn.ReLU(), *conv_bn(cout, cout, 3, 1))
        self.proj = nn.Sequential(*conv_bn(cin, cout, 1, stride)) if stride != 1 or cin != cout else None

    def forward(self, x):
        shortcut = self.proj(x) if self.proj is not None else x
        return F.relu(self.body(x) + shortcut)


class Tapped(nn.Module):
    """stem, three stages (their outputs are the taps), global pooling, dense."""

    def __init__(self, stem, stages, channels, classes):
        super().__init__()
        self.stem = stem
        self.stages = nn.ModuleList(stages)
        self.fc = nn.Linear(channels, classes)

    def forward(self, x):
        x = self.stem(x)
        taps = []
        for s in self.stages:
            x = s(x)
            taps.append(x)
        return self.fc(x.mean(dim=(2, 3))), taps


def resnet(spec, cin, classes):
    depth, w = spec.get("depth", 20), spec.get("width", 16)
    n = (depth - 2) // 6
    stem = nn.Sequential(*conv_bn(cin, w, 3, 1), nn.ReLU())
    stages, c = [], w
    for s in range(3):
        blocks = []
        for i in range(n):
            blocks.append(BasicBlock(c, w << s, 2 if s > 0 and i == 0 else 1))
            c = w << s
        stages.append(nn.Sequential(*blocks))
    return Tapped(stem, stages, c, classes)


def cnn(spec, cin, classes):
    w, extra = spec.get("width", 8), spec.get("depth", 3) - 3
    stages, c = [], cin
    for s in range(3):
        layers = [nn.MaxPool2d(2, 2, ceil_mode=True)] if s > 0 else []
        layers += [*conv_bn(c, w << s, 3, 1), nn.ReLU()]
        c = w << s
        for _ in range(s, extra, 3):
            layers += [*conv_bn(c, c, 3, 1), nn.ReLU()]
        stages.append(nn.Sequential(*layers))
    return Tapped(nn.Identity(), stages, c, classes)


def mobilenet(spec, cin, classes):
    blocks, w = spec.get("depth", 1), spec.get("width", 8)
    stem = nn.Sequential(*conv_bn(cin, w, 3, 1), nn.ReLU())
    stages, c = [], w
    for s in range(3):
        layers = []
        for i in range(blocks):
            stride = 2 if s > 0 and i == 0 else 1
            layers += [nn.Conv2d(c, c, 3, stride=stride, padding=1, groups=c, bias=False), nn.BatchNorm2d(c, eps=1e-5, momentum=0.1), nn.ReLU()]
            layers += [*conv_bn(c, w << s, 1, 1), nn.ReLU()]
            c = w << s
        stages.append(nn.Sequential(*layers))
    return Tapped(stem, stages, c, classes)


FAMILIES = {"resnet": resnet, "cnn": cnn, "mobilenet": mobilenet}


def trainable_params(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def measure(spec, batch, seconds, device="cpu", shape=(1, 28, 28), classes=10, warmup=3):
    torch.manual_seed(1)
    model = FAMILIES[spec["model"]](spec, shape[0], classes).to(device)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.rand(batch, *shape, device=device)
    y = torch.arange(batch, device=device) % classes
    # CUDA runs asynchronously: wait for the queued steps before reading the clock.
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)

    def step():
        opt.zero_grad(set_to_none=True)
        logits, _ = model(x)
        F.cross_entropy(logits, y).backward()
        opt.step()

    for _ in range(warmup):
        step()
    sync()
    steps, start = 0, time.perf_counter()
    while True:
        step()
        steps += 1
        if steps % 10 == 0 or device == "cpu":
            sync()
        elapsed = time.perf_counter() - start
        if elapsed >= seconds and (steps % 10 == 0 or device == "cpu"):
            break
    return {"imagesPerSec": steps * batch / elapsed, "steps": steps, "msPerStep": 1000 * elapsed / steps,
            "params": trainable_params(model)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--teacher")
    p.add_argument("--student")
    p.add_argument("--params", help="JSON list of specs: print their trainable parameter counts")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu", help="cpu, or cuda to time the same networks on the GPU")
    a = p.parse_args()
    if a.params:
        specs = json.loads(a.params)
        print(json.dumps([trainable_params(FAMILIES[s["model"]](s, s.get("channels", 1), s.get("classes", 10))) for s in specs]))
        return
    if not a.teacher or not a.student:
        p.error("--teacher and --student are required")
    torch.set_num_threads(a.threads)
    if a.device.startswith("cuda"):
        torch.backends.cudnn.benchmark = True
    student = measure(json.loads(a.student), a.batch, a.seconds, a.device)
    teacher = measure(json.loads(a.teacher), a.batch, a.seconds, a.device)
    print(json.dumps({
        "studentTrainImagesPerSec": round(student["imagesPerSec"], 1),
        "teacherTrainImagesPerSec": round(teacher["imagesPerSec"], 1),
        "student": student, "teacher": teacher,
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        "device": torch.cuda.get_device_name(0) if a.device.startswith("cuda") else "cpu",
    }))


if __name__ == "__main__":
    main()
