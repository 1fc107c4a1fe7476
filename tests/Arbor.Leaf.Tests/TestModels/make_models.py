"""Builds small TorchScript models for the leaf's tests, following Arbor's forward convention.

Reads a JSON list of jobs on stdin. Each job:
  path          where to write the archive (module_info.json is stored as its extra file)
  module_info   the signature (arbor.module_info/v1)
  seed          weight seed
  outputs       optional: how many score columns forward really returns (default: the signature's)
  wrap_ids      optional, default true: reduce ids modulo the table size; false lets a large id
                make libtorch raise inside forward (a native error)
  cases         optional: inputs to score with Python; expected scores are written to <path>.expected.json
A case: {"rows": B, "features": {name: {"values": [...], "missing": [row, ...], "shared": false}}}
where values hold one entry per row (or one entry when shared): a float, a list of floats (vector)
or a list of ints (id list). This file is an independent implementation of the convention: the
leaf's converter must agree with it bitwise.
"""
import importlib.util
import json
import os
import sys
import tempfile

import torch

HIDDEN = 8
TABLE = 1000


def module_source(info, outputs, wrap_ids):
    params, layers, body = [], [], []
    for i, spec in enumerate(info["inputs"]):
        kind = spec["kind"]
        if kind == "dense":
            layers.append(f"self.l{i} = torch.nn.Linear({len(spec['features'])}, {HIDDEN})")
            params.append(f"a{i}: torch.Tensor")
            body.append(f"h = h + self.l{i}(a{i})")
        elif kind == "vector":
            layers.append(f"self.l{i} = torch.nn.Linear({spec['dim']}, {HIDDEN})")
            params.append(f"a{i}: torch.Tensor")
            body.append(f"h = h + self.l{i}(a{i})")
        else:
            layers.append(f"self.l{i} = torch.nn.EmbeddingBag({TABLE}, {HIDDEN}, mode='sum')")
            params.append(f"a{i}_values: torch.Tensor, a{i}_offsets: torch.Tensor")
            ids = f"torch.remainder(a{i}_values, {TABLE})" if wrap_ids else f"a{i}_values"
            body.append(f"h = h + self.l{i}({ids}, a{i}_offsets)")
    first = info["inputs"][0]
    batch = "a0_offsets" if first["kind"] == "id_list" else "a0"
    lines = [
        "import torch",
        "class Generated(torch.nn.Module):",
        "    def __init__(self):",
        "        super().__init__()",
        *[f"        {layer}" for layer in layers],
        f"        self.head = torch.nn.Linear({HIDDEN}, {outputs})",
        f"    def forward(self, {', '.join(params)}) -> torch.Tensor:",
        f"        h = torch.zeros([{batch}.size(0), {HIDDEN}])",
        *[f"        {line}" for line in body],
        "        return torch.sigmoid(self.head(torch.relu(h)))",
    ]
    return "\n".join(lines) + "\n"


def build(job, scratch, index):
    info = job["module_info"]
    outputs = job.get("outputs", len(info["outputs"]))
    source = os.path.join(scratch, f"generated_{index}.py")
    with open(source, "w") as f:
        f.write(module_source(info, outputs, job.get("wrap_ids", True)))
    spec = importlib.util.spec_from_file_location(f"generated_{index}", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    torch.manual_seed(job.get("seed", 0))
    model = module.Generated().eval()
    with torch.no_grad():
        for p in model.parameters():
            p.uniform_(-1.0, 1.0)
    return torch.jit.script(model)


def row_value(feature, row):
    if feature.get("shared"):
        return None if 0 in feature.get("missing", []) else feature["values"][0]
    return None if row in feature.get("missing", []) else feature["values"][row]


def tensors(info, case):
    rows, features, args = case["rows"], case["features"], []
    for spec in info["inputs"]:
        default = float(spec.get("default", 0.0))
        if spec["kind"] == "dense":
            data = []
            for r in range(rows):
                for name in spec["features"]:
                    v = row_value(features[name], r) if name in features else None
                    data.append(default if v is None else float(v))
            args.append(torch.tensor(data, dtype=torch.float32).reshape(rows, len(spec["features"])))
        elif spec["kind"] == "vector":
            name, dim, data = spec["features"][0], spec["dim"], []
            for r in range(rows):
                v = row_value(features[name], r) if name in features else None
                data.extend([default] * dim if v is None else [float(x) for x in v])
            args.append(torch.tensor(data, dtype=torch.float32).reshape(rows, dim))
        else:
            name, values, offsets = spec["features"][0], [], []
            for r in range(rows):
                offsets.append(len(values))
                v = row_value(features[name], r) if name in features else None
                values.extend([] if v is None else [int(x) for x in v][: spec["max_length"]])
            args.append(torch.tensor(values, dtype=torch.int64))
            args.append(torch.tensor(offsets, dtype=torch.int64))
    return args


def main():
    torch.set_num_threads(1)
    jobs = json.load(sys.stdin)
    with tempfile.TemporaryDirectory() as scratch:
        sys.path.insert(0, scratch)
        for index, job in enumerate(jobs):
            model = build(job, scratch, index)
            os.makedirs(os.path.dirname(job["path"]), exist_ok=True)
            extra = {"module_info.json": json.dumps(job["module_info"], indent=2)}
            torch.jit.save(model, job["path"], _extra_files=extra)
            if job.get("cases"):
                loaded = torch.jit.load(job["path"])
                expected = []
                with torch.no_grad():
                    for case in job["cases"]:
                        expected.append(loaded(*tensors(job["module_info"], case)).reshape(-1).tolist())
                with open(job["path"] + ".expected.json", "w") as f:
                    json.dump(expected, f)


if __name__ == "__main__":
    main()
