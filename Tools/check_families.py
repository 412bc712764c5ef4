#!/usr/bin/env python3
"""Modern CNN families (issue 9, item 3): exports each torchvision family through every
export path, compiles it with graphc and compares graphrun with onnxruntime.

Each model is built with weights=None from a fixed seed. BatchNorm running statistics are
calibrated by a forward pass in train mode on a seeded batch and then perturbed, so the
outputs depend on the input (random statistics alone make them nearly constant and hide
batch-indexing bugs). Export paths: TorchScript at opsets 17, 13 and 11 (higher where a family needs it, see MIN_OPSET), and the dynamo exporter
at opset 18 when torch has it. For each export: `graphc compile` (symbolic batch), then
graphrun, onnxruntime and PyTorch (float32) on the same seeded input at batch 1 and 2; an export
passes when max|ours - ref| <= 1e-4 * max|ref| against both references at every batch. Low
resolution keeps it fast.

Prints a table; --write-md writes it into docs/conformance.md between the family-table markers.
Needs torch and torchvision (Tools/setup.sh --torch).

usage: check_families.py --bin .build/release [--families a,b] [--paths ts17,ts13,ts11,dynamo18]
                         [--write-md docs/conformance.md]
"""
import argparse
import contextlib
import io
import os
import re
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import onnxruntime as ort

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from markdown_section import replace_section  # noqa: E402

TOLERANCE = 1e-4
SEED = 20261201

# name: (torchvision constructor, input resolution[, constructor arguments]). Resolutions are the
# smallest that keep every family's spatial dims above 1 before its head, so pooling and padding
# still matter. EfficientNet-V2-S runs at 96x96: at 64x64 its last stages are 2x2 maps and its 40
# blocks amplify float32 rounding until the references disagree with each other by more than the
# tolerance (onnxruntime against PyTorch float32: 1.1e-4 of max|output|; each is about 1e-4 from
# float64), so that cell no longer tells a correct engine from a wrong one; at 96x96 graphrun is
# within 2.3e-5 of both (docs/conformance.md).
FAMILIES = {
    "mobilenet_v3_small": ("mobilenet_v3_small", 64),
    "mobilenet_v3_large": ("mobilenet_v3_large", 64),
    "efficientnet_b0": ("efficientnet_b0", 64),
    "efficientnet_v2_s": ("efficientnet_v2_s", 96),
    "regnet_y_400mf": ("regnet_y_400mf", 64),
    "shufflenet_v2_x0_5": ("shufflenet_v2_x0_5", 64),
    "shufflenet_v2_x1_0": ("shufflenet_v2_x1_0", 64),
    "convnext_tiny": ("convnext_tiny", 64),
    # A tiny Vision Transformer: the ViT-B graph (class token, attention, GELU MLP) in a few seconds.
    "vit_tiny": ("vision_transformer.VisionTransformer", 32,
                 dict(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=32, mlp_dim=64, num_classes=10)),
    # Swin-T's blocks (patch merging, shifted-window attention with relative position bias, the
    # window padding computed from Shape) at a small size: 7x7 windows over 16x16 and 8x8 maps pad
    # them to 21x21 and 14x14 (9 and 4 windows, shifted), the third stage's 4x4 is one window.
    "swin_t": ("swin_transformer.SwinTransformer", 64,
               dict(patch_size=[4, 4], embed_dim=32, depths=[2, 2, 2], num_heads=[2, 4, 8], window_size=[7, 7],
                    stochastic_depth_prob=0.0, num_classes=10)),
    # MaxViT-T's blocks (MBConv with squeeze-excitation, block and grid attention with relative
    # position bias) at a small size: two stages, 4x4 partitions of 16x16 and 8x8 feature maps.
    "maxvit_t": ("maxvit.MaxVit", 64,
                 dict(input_size=(64, 64), stem_channels=16, partition_size=4, block_channels=[16, 32], block_layers=[1, 1],
                      head_dim=8, stochastic_depth_prob=0.0, num_classes=10)),
}
# Families no export at a path's opset can express, with the lowest opset that can: the TorchScript
# exporter has scaled_dot_product_attention (nn.MultiheadAttention's) only from opset 14 and einsum
# (MaxViT's relative position bias) from 12. The table says which opset such a cell was exported at.
MIN_OPSET = {"vit_tiny": 14, "maxvit_t": 12}
FAST = ["mobilenet_v3_small", "efficientnet_b0", "shufflenet_v2_x0_5"]
PATHS = {"ts17": ("torchscript", 17), "ts13": ("torchscript", 13), "ts11": ("torchscript", 11), "dynamo18": ("dynamo", 18)}
BEGIN, END = "<!-- families:begin -->", "<!-- families:end -->"


def import_torchvision():
    """torchvision, whose models need none of its compiled ops: PyPI's Linux wheel is built for
    CUDA, so with the CPU torch its `_C` does not load and the fake-kernel registrations for those
    ops fail at import; they are skipped then."""
    import torch

    try:
        import torchvision
    except RuntimeError:
        for name in [m for m in sys.modules if m.startswith("torchvision")]:
            del sys.modules[name]
        register_fake = torch.library.register_fake
        torch.library.register_fake = lambda *args, **kwargs: (lambda f: f)
        try:
            import torchvision
        finally:
            torch.library.register_fake = register_fake
    return torchvision


def build(constructor, resolution, arguments=None):
    """The family with seeded weights and calibrated, perturbed BatchNorm statistics, in eval mode."""
    import torch

    torchvision = import_torchvision()
    torch.manual_seed(SEED)
    make = torchvision.models
    for part in constructor.split("."):
        make = getattr(make, part)
    model = make(**arguments) if arguments else make(weights=None)
    generator = torch.Generator().manual_seed(SEED + 1)
    with torch.no_grad():
        # Weights that start at zero (ViT's class token and head) are drawn at random: a zero head
        # makes every output 0, and a zero class token would hide how it is broadcast over the batch.
        for p in model.parameters():
            if p.dim() >= 2 and not p.any():
                p.copy_(0.1 * torch.randn(p.shape, generator=generator))
    model.train()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.momentum = 1.0  # the statistics of exactly this batch
        model(torch.randn(4, 3, resolution, resolution, generator=generator))
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                # Shifts in units of each channel's own spread: an absolute shift blows up channels
                # whose spread is tiny and leaves the network too ill-conditioned for float32 to agree.
                spread = m.running_var.sqrt()
                m.running_mean.add_(0.1 * spread * torch.randn(m.running_mean.shape, generator=generator))
                m.running_var.mul_(torch.empty(m.running_var.shape).uniform_(0.8, 1.25, generator=generator))
    return model.eval()


def export(model, resolution, path, file, min_opset=0):
    """Writes `model` with a symbolic batch through export path `path` (at `min_opset` when the path's
    opset is lower); returns an error text or None."""
    import torch

    kind, opset = PATHS[path]
    opset = max(opset, min_opset)
    x = torch.randn(2, 3, resolution, resolution)
    quiet = io.StringIO()
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
            warnings.simplefilter("ignore")
            if kind == "torchscript":
                torch.onnx.export(model, (x,), file, opset_version=opset, input_names=["input"], output_names=["logits"],
                                  dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, dynamo=False)
            else:
                batch = torch.export.Dim("N", min=1, max=1024)
                torch.onnx.export(model, (x,), file, opset_version=opset, input_names=["input"], output_names=["logits"],
                                  dynamic_shapes={"x": {0: batch}}, dynamo=True, external_data=False)
    except Exception as e:  # the exporter itself refuses: report it, it is not ours
        return f"export failed: {type(e).__name__}: {str(e).splitlines()[0][:200]}"
    return None


def first_line(text, file):
    """The most telling line of a tool's error output, without the file's path, shortened for a table cell."""
    lines = [l.strip() for l in text.strip().splitlines() if l.strip()]
    line = next((l for l in lines if l.startswith("error")), lines[-1] if lines else "")
    line = re.sub(r"^error:\s*", "", line).replace(file + ": ", "")
    return line[:300]


def float64_errors(model, x, outputs):
    """How far each float32 output is from PyTorch's in float64 (max diff / max|ref|): when the
    references disagree with each other about as much as with graphrun, the network amplifies
    float32 rounding, and the tolerance is what fails, not a kernel."""
    import copy
    import torch

    with torch.no_grad():
        exact = copy.deepcopy(model).double()(torch.from_numpy(x).double()).numpy()
    scale = float(np.abs(exact).max()) or 1.0
    errors = ", ".join(f"{name} {float(np.abs(out - exact).max()) / scale:.1e}" for name, out in outputs.items())
    return f"from float64 PyTorch: {errors}"


def check(file, model, bindir, batches, threads, tmp):
    """(status, detail): compile with graphc, run graphrun, onnxruntime and PyTorch at each batch and compare."""
    import torch

    plan = file[:-5] + ".plan"
    started = time.time()
    r = subprocess.run([os.path.join(bindir, "graphc"), "compile", file, "-o", plan], capture_output=True, text=True)
    if r.returncode != 0:
        return "refused", first_line(r.stderr, file)
    compile_s = time.time() - started
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(file, options, providers=["CPUExecutionProvider"])
    (feed,) = session.get_inputs()
    rng = np.random.default_rng(SEED)
    worst = 0.0
    for batch in batches:
        x = rng.standard_normal([batch] + list(feed.shape[1:])).astype(np.float32)
        xin, out = os.path.join(tmp, f"in{batch}.npy"), os.path.join(tmp, f"out{batch}.npy")
        np.save(xin, x)
        r = subprocess.run([os.path.join(bindir, "graphrun"), plan, xin, "-o", out, "--top", "0", "--threads", str(threads)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            return "run error", first_line(r.stderr, plan)
        (ort_out,) = session.run(None, {feed.name: x})
        with torch.no_grad():
            expected = model(torch.from_numpy(x)).numpy()
        ours = np.load(out)
        for reference, ref in [("onnxruntime", ort_out), ("PyTorch", expected)]:
            if ours.shape != ref.shape:
                return "FAIL", f"batch {batch}: shape {ours.shape} != {reference}'s {ref.shape}"
            scale = float(np.abs(ref).max())
            rel = float(np.abs(ours - ref).max()) / scale if scale else 0.0
            # Outputs that hardly depend on the input would hide batch-indexing bugs.
            if batch > 1 and float(np.abs(ref[0] - ref[1]).max()) < 1e-3 * scale:
                return "FAIL", f"batch {batch}: items' outputs nearly equal; calibration did not take"
            worst = max(worst, rel)
            if rel > TOLERANCE:
                return "FAIL", (f"batch {batch}: max diff / max|ref| = {rel:.2e} against {reference}; "
                                + float64_errors(model, x, {"graphrun": ours, "onnxruntime": ort_out, "PyTorch float32": expected}))
    return "pass", f"max diff / max|ref| {worst:.1e}; compiled in {compile_s:.1f} s"


def table(results, paths):
    lines = ["| family (input) | " + " | ".join(f"{PATHS[p][0]} opset {PATHS[p][1]}" for p in paths) + " |",
             "|---|" + "---|" * len(paths)]
    for (family, resolution), cells in results.items():
        row = []
        for p in paths:
            status, detail = cells[p]
            shown = detail if status != "pass" else re.match(r"(exported at opset \d+)?", detail).group(0)
            row.append(f"**{status}**" + (f": {shown}" if shown else "").replace("|", "\\|"))
        lines.append(f"| {family} ({resolution}×{resolution}) | " + " | ".join(row) + " |")
    return "\n".join(lines)


def write_md(path, text, command):
    block = f"Written by `{command}`; each cell compares graphrun with onnxruntime at batch 1 and 2 " \
            f"and PyTorch (max diff ≤ 1e-4 × max|ref| against each).\n\n{text}"
    replace_section(path, BEGIN, END, block, heading="# Conformance\n\n## Model families\n\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True, help="folder with graphc and graphrun")
    parser.add_argument("--families", default=",".join(FAMILIES), help="comma-separated, or 'fast' for the CI subset")
    parser.add_argument("--paths", default=",".join(PATHS))
    parser.add_argument("--batches", default="1,2")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--keep", help="keep the exported models in this folder")
    parser.add_argument("--write-md", help="write the table into this markdown file")
    args = parser.parse_args()
    families = FAST if args.families == "fast" else args.families.split(",")
    paths = args.paths.split(",")
    for name in families + paths:
        if name not in FAMILIES and name not in PATHS:
            parser.error(f"unknown family or path '{name}'")
    batches = [int(b) for b in args.batches.split(",")]

    import torch

    if "dynamo18" in paths:
        try:
            import onnxscript  # noqa: F401  (the dynamo exporter needs it)
        except ImportError:
            print("dynamo18: onnxscript is not installed; that path is skipped")
            paths.remove("dynamo18")
    torch.set_num_threads(args.threads)
    results, failures = {}, 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or tmp
        os.makedirs(folder, exist_ok=True)
        for family in families:
            constructor, resolution, *arguments = FAMILIES[family]
            model = build(constructor, resolution, *arguments)
            cells = {}
            for p in paths:
                file = os.path.join(folder, f"{family}-{p}.onnx")
                min_opset = MIN_OPSET.get(family, 0)
                error = export(model, resolution, p, file, min_opset)
                cells[p] = ("export error", error) if error else check(file, model, args.bin, batches, args.threads, tmp)
                if min_opset > PATHS[p][1]:
                    cells[p] = (cells[p][0], f"exported at opset {min_opset}, the lowest the exporter can; " + cells[p][1])
                failures += cells[p][0] != "pass"
                print(f"{family:<20} {p:<9} {cells[p][0]:<8} {cells[p][1]}", flush=True)
            results[(family, resolution)] = cells
    text = table(results, paths)
    print()
    print(text)
    passed = len(families) * len(paths) - failures
    print(f"\nfamilies: {passed} passed, {failures} failed")
    if args.write_md:
        write_md(args.write_md, text, "Tools/check_families.py --bin $B --write-md docs/conformance.md")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
