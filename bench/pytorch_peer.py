#!/usr/bin/python3
"""PyTorch peer of SKD Lab's throughput benchmark (`skd bench`).

Builds the same networks as src/trainer/models (resnet.ts, cnn.ts, mobilenet.ts), layer for
layer, and times plain SGD training steps (cross-entropy, batch norm in training mode) on a fixed
random batch. Prints one JSON object on stdout.

Mirroring notes: tf.js 'same' padding with stride 2 pads the extra row at the bottom/right while
padding=k//2 pads both sides; the work per step is the same. Max pooling 'same' on odd sizes is
ceil_mode=True. Keras batch-norm momentum 0.9 is PyTorch's momentum 0.1.

Every forward op runs inside a leaf module (the residual sum and global pooling are modules
here, Add and GlobalAvgPool), so that `--profile` can attribute each op, forward and backward,
to the layer it belongs to, as SKD Lab's profiler does with tf.js layers.

usage: pytorch_peer.py --teacher '{"model":"resnet","depth":8,"width":16}' \
                       --student '{"model":"cnn","width":8}' [--batch 64] [--seconds 5] [--threads 2]
                       [--device cpu|cuda]
       pytorch_peer.py --nets '[{"id":"resnet20","spec":{"model":"resnet","depth":20},"input":[32,32,3]}, ...]'
                       [--batch 64] [--seconds 5] [--threads 1]     (each network's images/s)
       pytorch_peer.py --profile '{"id":"student","label":"...","spec":{...},"input":[28,28,1]}'
                       [--batch 64] [--seconds 2] [--repeats 3] [--threads 1]
                       (where a step goes: torch.autograd.profiler, by op kind and layer)
       pytorch_peer.py --params '[{"model":"cnn","width":8}, ...]'   (trainable parameter counts only;
                       a spec may carry "input": [h, w, c] or "channels")
       pytorch_peer.py --gemm '[{"id":"square","m":256,"k":256,"n":256}, ...]'
                       [--seconds 2] [--repeats 3] [--threads 1]
                       (each shape's GFLOP/s: torch.mm, and oneDNN's inner product)
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_bn(cin, cout, k, stride):
    return [nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False), nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)]


class Add(nn.Module):
    """The residual sum as a layer, as tf.js's Add layer."""

    def forward(self, a, b):
        return a + b


class GlobalAvgPool(nn.Module):
    """Global average pooling over height and width, as tf.js's GlobalAveragePooling2D."""

    def forward(self, x):
        return x.mean(dim=(2, 3))


class BasicBlock(nn.Module):
    """resnet.ts basicBlock: conv-bn-relu, conv-bn, projection shortcut where the shape changes."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.body = nn.Sequential(*conv_bn(cin, cout, 3, stride), nn.ReLU(), *conv_bn(cout, cout, 3, 1))
        self.proj = nn.Sequential(*conv_bn(cin, cout, 1, stride)) if stride != 1 or cin != cout else None
        self.add = Add()
        self.relu = nn.ReLU()

    def forward(self, x):
        shortcut = self.proj(x) if self.proj is not None else x
        return self.relu(self.add(self.body(x), shortcut))


class Tapped(nn.Module):
    """stem, three stages (their outputs are the taps), global pooling, dense."""

    def __init__(self, stem, stages, channels, classes):
        super().__init__()
        self.stem = stem
        self.stages = nn.ModuleList(stages)
        self.pool = GlobalAvgPool()
        self.fc = nn.Linear(channels, classes)

    def forward(self, x):
        x = self.stem(x)
        taps = []
        for s in self.stages:
            x = s(x)
            taps.append(x)
        return self.fc(self.pool(x)), taps


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


def setup(spec, batch, device="cpu", shape=(1, 28, 28), classes=10):
    torch.manual_seed(1)
    model = FAMILIES[spec["model"]](spec, shape[0], classes).to(device)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.rand(batch, *shape, device=device)
    y = torch.arange(batch, device=device) % classes
    return model, opt, x, y


def chw(input_hwc):
    """SKD Lab gives [height, width, channels]; PyTorch wants (channels, height, width)."""
    h, w, c = input_hwc
    return (c, h, w)


def measure(spec, batch, seconds, device="cpu", shape=(1, 28, 28), classes=10, warmup=3):
    model, opt, x, y = setup(spec, batch, device, shape, classes)
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


# --- profile: the same op kinds as SKD Lab's src/trainer/bench/throughputProfileTable.ts ---

FAMILY = {"Conv2d": "conv2d", "DepthwiseConv2d": "depthwise conv2d", "BatchNorm2d": "batchnorm", "ReLU": "relu",
          "Add": "add (residual)", "MaxPool2d": "pooling", "GlobalAvgPool": "pooling", "Linear": "matmul (dense)",
          "Loss": "softmax / loss"}
# Ops that torch.autograd.profiler.record_function itself runs around every marker.
MARKER_OPS = {"aten::zeros", "aten::empty", "aten::zero_"}


def module_class(m):
    if isinstance(m, nn.Conv2d) and m.groups > 1 and m.groups == m.in_channels:
        return "DepthwiseConv2d"
    return type(m).__name__


def kind_of(cls, direction):
    family = FAMILY.get(cls)
    return f"{family} {direction}" if family else "other kernels"


def marker_hooks(model):
    """record_function ranges around every leaf module's forward: 'layer::<name>'."""
    handles = []
    for name, m in model.named_modules():
        if any(True for _ in m.children()):
            continue
        state = {}

        def pre(_m, _inputs, name=name, state=state):
            state["r"] = torch.autograd.profiler.record_function("layer::" + name)
            state["r"].__enter__()

        def post(_m, _inputs, _output, state=state):
            state["r"].__exit__(None, None, None)

        handles += [m.register_forward_pre_hook(pre), m.register_forward_hook(post)]
    return handles


def attribute(events, classes):
    """Self CPU time (ms) of every op by (kind, op name) and by (layer, direction); ms inside ops."""
    by_kind, by_detail, by_layer = {}, {}, {}
    seq_layer = {}  # forward op sequence number -> layer, so that backward nodes find their layer

    def context(e):
        """(direction, layer) of an event, or None for the profiler's own marker ops."""
        top, p = e, e
        while p is not None:
            n = p.name
            if n.startswith("layer::"):
                return None if top is not p and top.name in MARKER_OPS and top.cpu_parent is p else ("fwd", n[7:])
            if n.startswith("autograd::engine::evaluate_function: "):
                if "AccumulateGrad" in n:
                    return ("acc", None)
                return ("bwd", seq_layer.get(p.sequence_nr, "loss"))
            if n == "phase::forward":
                return None if top.cpu_parent is p and top.name in MARKER_OPS else ("fwd", "loss")
            if n == "phase::backward":
                return ("acc", None)
            if n.startswith("phase::update"):
                return ("update", None)
            top, p = p, p.cpu_parent
        # Outside every marker: the markers' own set-up ops, or something unexpected.
        return None if top.name in MARKER_OPS else ("other", None)

    ordered = sorted(events, key=lambda e: e.time_range.start)
    inside = 0.0
    for e in ordered:
        if e.name.startswith(("layer::", "phase::")):
            continue
        ctx = context(e)
        if ctx is None:
            continue
        direction, layer = ctx
        if direction == "fwd" and e.sequence_nr >= 0:
            seq_layer.setdefault(e.sequence_nr, layer)
        ms = e.self_cpu_time_total / 1000.0
        inside += ms
        if direction in ("fwd", "bwd"):
            kind = kind_of(classes.get(layer, "Loss" if layer == "loss" else "Other"), direction)
            key = (layer, direction)
            by_layer[key] = by_layer.get(key, 0.0) + ms
        elif direction == "acc":
            kind = "gradient accumulation"
        elif direction == "update":
            kind = "optimizer update"
        else:
            kind = "other kernels"
        by_kind[kind] = by_kind.get(kind, 0.0) + ms
        by_detail[(kind, e.name)] = by_detail.get((kind, e.name), 0.0) + ms
    return by_kind, by_detail, by_layer, inside


def profile(net, batch, seconds, repeats, threads):
    """Where a training step goes: the same dictionary as SKD Lab's StepProfile."""
    shape = chw(net["input"])
    model, opt, x, y = setup(net["spec"], batch, "cpu", shape)
    classes = {name: module_class(m) for name, m in model.named_modules()}

    def step():
        opt.zero_grad(set_to_none=True)
        logits, _ = model(x)
        F.cross_entropy(logits, y).backward()
        opt.step()

    for _ in range(3):
        step()
    clean, start = [], time.perf_counter()
    while len(clean) < 3 or (time.perf_counter() - start < seconds and len(clean) < 200):
        t0 = time.perf_counter()
        step()
        clean.append(1000 * (time.perf_counter() - t0))
    handles = marker_hooks(model)
    runs, profiled = [], []
    rf = torch.autograd.profiler.record_function
    for _ in range(repeats):
        with torch.autograd.profiler.profile() as prof:
            t0 = time.perf_counter()
            with rf("phase::update0"):
                opt.zero_grad(set_to_none=True)
            with rf("phase::forward"):
                logits, _ = model(x)
                loss = F.cross_entropy(logits, y)
            with rf("phase::backward"):
                loss.backward()
            with rf("phase::update"):
                opt.step()
            profiled.append(1000 * (time.perf_counter() - t0))
        runs.append(attribute(prof.function_events, classes))
    for h in handles:
        h.remove()

    def med(dicts):
        keys = set().union(*dicts)
        return {k: statistics.median([d.get(k, 0.0) for d in dicts]) for k in keys}

    kinds = med([r[0] for r in runs])
    details = med([r[1] for r in runs])
    layers = med([r[2] for r in runs])
    step_ms = statistics.median(clean)
    detail_ms = {}
    for (kind, op), ms in details.items():
        detail_ms.setdefault(kind, {})[op] = round(ms, 3)
    layer_rows = []
    for name, m in model.named_modules():
        if (name, "fwd") in layers or (name, "bwd") in layers:
            layer_rows.append({"name": name, "type": classes[name], "fwdMs": round(layers.get((name, "fwd"), 0.0), 3),
                               "bwdMs": round(layers.get((name, "bwd"), 0.0), 3)})
    if ("loss", "fwd") in layers or ("loss", "bwd") in layers:
        layer_rows.append({"name": "loss", "type": "Loss", "fwdMs": round(layers.get(("loss", "fwd"), 0.0), 3),
                           "bwdMs": round(layers.get(("loss", "bwd"), 0.0), 3)})
    total = sum(kinds.values())
    return {
        "framework": f"PyTorch {torch.__version__}", "threads": torch.get_num_threads(), "network": net.get("label", net.get("id", "")),
        "batch": batch, "stepMs": round(step_ms, 3), "profiledStepMs": round(statistics.median(profiled), 3),
        "kernelMs": {k: round(v, 3) for k, v in kinds.items()}, "detailMs": detail_ms,
        "betweenMs": round(max(0.0, step_ms - total), 3), "betweenParts": {}, "layers": layer_rows,
        "kernelCalls": len([e for e in prof.function_events if not e.name.startswith(("layer::", "phase::"))]),
        "steps": repeats,
        "notes": [f"{len(clean)} clean steps (median), {repeats} profiled steps; op times are self CPU times from "
                  "torch.autograd.profiler; 'between ops' is the clean step less all op time (Python, autograd engine)"],
        "params": trainable_params(model),
    }


# --- gemm: the matrix-multiply ceiling of `skd bench --gemm` (src/trainer/bench/gemmCeiling.ts) ---


def time_call(f, seconds, repeats, warmup=3):
    """Median seconds per call over `repeats` repetitions of calls for `seconds` each, after
    `warmup` calls: the same rule as SKD Lab's side (gemmCeilingWasm.ts)."""
    for _ in range(warmup):
        f()
    per_call = []
    for _ in range(repeats):
        calls, start = 0, time.perf_counter()
        while True:
            f()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                break
        per_call.append(elapsed / calls)
    return per_call


def loaded_blas():
    """The BLAS library this process loaded (torch.mm's engine), from /proc/self/maps where there is one."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.lower() or "mkl_" in line.lower()}
    except OSError:
        return "unknown"
    return ", ".join(sorted(libs)) or "none found (statically linked)"


def gemm(shapes, seconds, repeats):
    """GFLOP/s of each M x K x N float32 product, two ways. torch.mm goes to the BLAS torch was
    linked with (Debian's build: BLAS_INFO=generic, whatever libblas.so.3 is installed), while
    PyTorch's convolutions go to oneDNN; oneDNN's inner product (mkldnn_linear: [M, K] x [N, K]^T)
    is the GEMM those convolutions reach, so both are reported."""
    torch.manual_seed(1)
    onednn = torch.backends.mkldnn.is_available() and hasattr(torch._C._nn, "mkldnn_linear")
    results = {}
    for s in shapes:
        m, k, n = int(s["m"]), int(s["k"]), int(s["n"])
        flop = 2.0 * m * k * n
        a = torch.rand(m, k) * 2 - 1
        b = torch.rand(k, n) * 2 - 1
        mm = time_call(lambda: torch.mm(a, b), seconds, repeats)
        entry = {"mm": {"gflops": flop / statistics.median(mm) / 1e9, "runs": [flop / t / 1e9 for t in mm]}, "onednn": None}
        if onednn:
            am, wm = a.to_mkldnn(), b.t().contiguous().to_mkldnn()
            dnn = time_call(lambda: torch._C._nn.mkldnn_linear(am, wm, None), seconds, repeats)
            entry["onednn"] = {"gflops": flop / statistics.median(dnn) / 1e9, "runs": [flop / t / 1e9 for t in dnn]}
        results[s["id"]] = entry
    return {"shapes": results, "torch": torch.__version__, "threads": torch.get_num_threads(), "blas": loaded_blas(),
            "onednn": onednn}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--teacher")
    p.add_argument("--student")
    p.add_argument("--nets", help="JSON list of {id, spec, input}: each network's training images/s")
    p.add_argument("--profile", help="JSON {id, label, spec, input}: where one training step goes")
    p.add_argument("--repeats", type=int, default=3, help="profiled steps with --profile, timed repetitions with --gemm (medians)")
    p.add_argument("--params", help="JSON list of specs: print their trainable parameter counts")
    p.add_argument("--gemm", help="JSON list of {id, m, k, n}: each float32 matrix product's GFLOP/s")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu", help="cpu, or cuda to time the same networks on the GPU")
    a = p.parse_args()
    if a.params:
        specs = json.loads(a.params)
        counts = []
        for s in specs:
            channels = s["input"][2] if "input" in s else s.get("channels", 1)
            counts.append(trainable_params(FAMILIES[s["model"]](s, channels, s.get("classes", 10))))
        print(json.dumps(counts))
        return
    torch.set_num_threads(a.threads)
    if a.device.startswith("cuda"):
        torch.backends.cudnn.benchmark = True
    device_name = torch.cuda.get_device_name(0) if a.device.startswith("cuda") else "cpu"
    if a.gemm:
        if a.device != "cpu":
            p.error("--gemm times the CPU only")
        print(json.dumps(gemm(json.loads(a.gemm), a.seconds, max(1, a.repeats))))
        return
    if a.profile:
        if a.device != "cpu":
            p.error("--profile times the CPU only")
        print(json.dumps(profile(json.loads(a.profile), a.batch, a.seconds, max(1, a.repeats), a.threads)))
        return
    if a.nets:
        results = {}
        for net in json.loads(a.nets):
            results[net["id"]] = measure(net["spec"], a.batch, a.seconds, a.device, chw(net["input"]))
        print(json.dumps({"networks": results, "torch": torch.__version__, "threads": torch.get_num_threads(),
                          "device": device_name}))
        return
    if not a.teacher or not a.student:
        p.error("--teacher and --student (or --nets, --profile, --params) are required")
    student = measure(json.loads(a.student), a.batch, a.seconds, a.device)
    teacher = measure(json.loads(a.teacher), a.batch, a.seconds, a.device)
    print(json.dumps({
        "studentTrainImagesPerSec": round(student["imagesPerSec"], 1),
        "teacherTrainImagesPerSec": round(teacher["imagesPerSec"], 1),
        "student": student, "teacher": teacher,
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        "device": device_name,
    }))


if __name__ == "__main__":
    main()
