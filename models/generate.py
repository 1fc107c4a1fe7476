#!/usr/bin/python3
"""Generates Arbor's sample model repository (seeded, deterministic).

    generate.py --out DIR [--bad-out DIR]

Writes DIR/feature_registry.json, DIR/features.jsonl, DIR/partitions.json and, per model version,
DIR/<model>/<version>/model.pt (TorchScript, signature in extra/module_info.json) and golden.json.
--bad-out writes deliberately broken artefacts for tests, kept apart from the repository.
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from arbor_models import transforms  # noqa: E402
from arbor_models.architectures import ARCHITECTURES  # noqa: E402
from arbor_models.catalog import PARTITIONS, build_catalog, seed_of  # noqa: E402
from arbor_models.data import context_for_row, generate_entities  # noqa: E402
from arbor_models.universe import build_universe, registry_document  # noqa: E402

USERS = 500
CANDIDATES = 2000
GOLDEN_ROWS = 32


def write_json(path, document, indent=2):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(document, f, indent=indent)
        f.write("\n")


class FeatureData:
    """Raw entity values plus the post-transform values models consume (computed on demand)."""

    def __init__(self, universe, users, candidates):
        self.defs = {f["name"]: f for f in universe}
        self.raw = {e["id"]: e["features"] for e in users + candidates}
        self.users = [e["id"] for e in users]
        self.candidates = [e["id"] for e in candidates]
        self._post = {}

    def post(self, entity_id, name):
        key = (entity_id, name)
        if key not in self._post:
            self._post[key] = transforms.apply(self.defs[name], self.raw[entity_id].get(name))
        return self._post[key]

    def row_features(self, user, candidate, context, names):
        out = {}
        for name in names:
            entity = self.defs[name]["entity"]
            if entity == "user":
                value = self.post(user, name)
            elif entity == "candidate":
                value = self.post(candidate, name)
            else:
                value = transforms.apply(self.defs[name], context.get(name))
            if value is not None:
                out[name] = value
        return out


def to_tensors(signature, rows):
    """Arbor's feature converter, reference implementation: rows of post-transform values to the
    forward arguments (absent dense/vector values take the input's default, absent id lists are
    empty, id lists keep their first max_length ids)."""
    args = []
    for spec in signature["inputs"]:
        default = float(spec.get("default", 0.0))
        if spec["kind"] == "dense":
            args.append(torch.tensor([[r.get(f, default) for f in spec["features"]] for r in rows], dtype=torch.float32))
        elif spec["kind"] == "vector":
            name, dim = spec["features"][0], spec["dim"]
            args.append(torch.tensor([r.get(name, [default] * dim) for r in rows], dtype=torch.float32))
        else:
            name, limit = spec["features"][0], spec["max_length"]
            values, offsets = [], []
            for r in rows:
                offsets.append(len(values))
                values.extend(r.get(name, [])[:limit])
            args.append(torch.tensor(values, dtype=torch.int64))
            args.append(torch.tensor(offsets, dtype=torch.int64))
    return args


def dense_stats(signature, data, contexts):
    stats = {}
    for spec in signature["inputs"]:
        if spec["kind"] != "dense":
            continue
        default = float(spec.get("default", 0.0))
        means, stds = [], []
        for name in spec["features"]:
            entity = data.defs[name]["entity"]
            if entity == "context":
                values = [transforms.apply(data.defs[name], c.get(name)) for c in contexts]
            else:
                ids = data.users if entity == "user" else data.candidates
                values = [data.post(i, name) for i in ids]
            column = np.array([default if v is None else v for v in values], dtype=np.float64)
            means.append(float(column.mean()))
            stds.append(max(float(column.std()), 1e-3))
        stats[spec["name"]] = (means, stds)
    return stats


def golden_rows(signature, data, universe, rng):
    names = [f for spec in signature["inputs"] for f in spec["features"]]
    picks = [("u0", "c0", {})]  # cold user, cold candidate, no context: defaults everywhere
    for _ in range(GOLDEN_ROWS - 1):
        picks.append((str(rng.choice(data.users[1:])), str(rng.choice(data.candidates[1:])), context_for_row(universe, rng)))
    # Every id-list input gets at least one row longer than its max_length (truncation).
    slot = GOLDEN_ROWS - 1
    for spec in signature["inputs"]:
        if spec["kind"] != "id_list":
            continue
        name, limit = spec["features"][0], spec["max_length"]
        entity = data.defs[name]["entity"]
        lengths = [len(data.raw[u if entity == "user" else c].get(name, [])) for u, c, _ in picks]
        if max(lengths) > limit:
            continue
        pool = data.users if entity == "user" else data.candidates
        longest = max(pool, key=lambda i: len(data.raw[i].get(name, [])))
        assert len(data.raw[longest].get(name, [])) > limit, f"no {name} list longer than {limit}"
        u, c, ctx = picks[slot]
        picks[slot] = (longest, c, ctx) if entity == "user" else (u, longest, ctx)
        slot -= 1
    rows = []
    for user, candidate, context in picks:
        row = {"user": user, "candidate": candidate}
        if context:
            row["context"] = context
        row["features"] = data.row_features(user, candidate, context, names)
        rows.append(row)
    return rows


def build_model(model, version, arch, signature, data, universe, out_dir):
    seed = seed_of(model, version)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    contexts = [context_for_row(universe, np.random.default_rng(seed_of("ctx", str(i)))) for i in range(200)]
    module = ARCHITECTURES[arch](signature, dense_stats(signature, data, contexts)).eval()
    for p in module.parameters():
        p.requires_grad_(False)
    rows = golden_rows(signature, data, universe, rng)
    features_only = [r["features"] for r in rows]
    args = to_tensors(signature, features_only)
    with torch.no_grad():
        traced = torch.jit.trace(module, tuple(args), check_trace=False)
    version_dir = os.path.join(out_dir, model, version)
    os.makedirs(version_dir, exist_ok=True)
    path = os.path.join(version_dir, "model.pt")
    torch.jit.save(traced, path, _extra_files={"module_info.json": json.dumps(signature, indent=2) + "\n"})

    loaded = torch.jit.load(path)
    with torch.no_grad():
        scores = loaded(*args)
        eager = module(*args)
        # A different batch (first 5 rows) must give the same values as the full batch.
        sub = loaded(*to_tensors(signature, features_only[:5]))
        single = torch.cat([loaded(*to_tensors(signature, [r])) for r in features_only])
    assert scores.dtype == torch.float32 and scores.shape == (len(rows), len(signature["outputs"])), scores.shape
    assert torch.allclose(scores, eager, rtol=1e-5, atol=1e-6), f"{model}/{version}: traced differs from eager"
    assert torch.allclose(sub, scores[:5], rtol=1e-5, atol=1e-6), f"{model}/{version}: batch size changes scores"
    bitwise_per_row = bool(torch.equal(single, scores))
    golden = {
        "model": model,
        "version": version,
        "outputs": [o["name"] for o in signature["outputs"]],
        "rows": rows,
        "scores": [[float(x) for x in row] for row in scores.tolist()],
    }
    write_json(os.path.join(version_dir, "golden.json"), golden, indent=None)
    spread = (float(scores.min()), float(scores.max()))
    return bitwise_per_row, spread


def write_bad_artefacts(bad_dir, good_model_path):
    """Broken model versions for tests: each <name>/1/model.pt fails in its own way."""
    class Tiny(torch.nn.Module):
        def forward(self, x):
            return torch.sigmoid(x.sum(dim=1, keepdim=True))

    tiny = torch.jit.script(Tiny())

    def target(name):
        d = os.path.join(bad_dir, name, "1")
        os.makedirs(d, exist_ok=True)
        return os.path.join(d, "model.pt")

    valid = {"schema": "arbor.module_info/v1", "model": "wrong_name", "version": "7",
             "inputs": [{"name": "dense", "kind": "dense", "dtype": "float32", "features": ["pin_ctr_7d"]}],
             "outputs": [{"name": "p_click"}]}
    torch.jit.save(tiny, target("no_signature"))
    torch.jit.save(tiny, target("corrupt_json"), _extra_files={"module_info.json": '{"schema": "arbor.module_info/v1", "model": '})
    invalid = dict(valid, model="invalid_signature", version="1",
                   inputs=[{"name": "dense", "kind": "sparse", "dtype": "float32", "features": ["a", "a"]}])
    torch.jit.save(tiny, target("invalid_signature"), _extra_files={"module_info.json": json.dumps(invalid)})
    torch.jit.save(tiny, target("wrong_name"), _extra_files={"module_info.json": json.dumps(valid)})
    with open(good_model_path, "rb") as f:
        good = f.read()
    with open(target("truncated"), "wb") as f:
        f.write(good[: len(good) // 2])
    with open(target("not_a_zip"), "w", encoding="utf-8") as f:
        f.write("this is not a TorchScript archive\n")


def write_failing_version(failing_dir, out_dir, model, base_version, version):
    """A version that serves a model's real scores but whose forward throws for some users: those
    whose first user-embedding value is above the golden rows' median and the input's default
    (libtorch's index error at run time). For the release tooling's canary tests; same signature as base_version otherwise."""
    base_path = os.path.join(out_dir, model, base_version, "model.pt")
    extra = {"module_info.json": ""}
    base = torch.jit.load(base_path, _extra_files=extra)
    signature = json.loads(extra["module_info.json"])
    with open(os.path.join(out_dir, model, base_version, "golden.json"), encoding="utf-8") as f:
        golden = json.load(f)
    args = to_tensors(signature, [r["features"] for r in golden["rows"]])
    slot = next(i for i, spec in enumerate(signature["inputs"]) if spec["kind"] == "vector" and spec["features"][0].startswith("user_"))
    # Rows at the input's default (cold users, the leaf's warm-up batches) stay on the scoring side.
    threshold = max(float(torch.median(args[slot][:, 0])), float(signature["inputs"][slot].get("default", 0.0)))

    class ThrowsForSomeUsers(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, *inputs):
            scores = self.inner(*inputs)
            # Index 1 of a one-element tensor: any row above the threshold makes the forward throw.
            guard = torch.zeros(1).index_select(0, (inputs[slot][:, 0] > threshold).long())
            return scores + guard.sum() * 0

    rows = [r["features"] for r in golden["rows"]]
    safe = to_tensors(signature, [r for r, v in zip(rows, args[slot][:, 0].tolist()) if v <= threshold])
    with torch.no_grad():
        traced = torch.jit.trace(ThrowsForSomeUsers(base), tuple(safe), check_trace=False)
    d = os.path.join(failing_dir, model, version)
    os.makedirs(d, exist_ok=True)
    torch.jit.save(traced, os.path.join(d, "model.pt"), _extra_files={"module_info.json": json.dumps(dict(signature, version=version), indent=2) + "\n"})
    with torch.no_grad():
        try:
            traced(*args)
            raise AssertionError("the failing version scored every golden row")
        except RuntimeError:
            pass
        assert torch.equal(traced(*safe), base(*safe)), "the failing version changes the scores it does give"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--bad-out")
    args = parser.parse_args()
    started = time.monotonic()
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)

    universe = build_universe()
    write_json(os.path.join(args.out, "feature_registry.json"), registry_document(universe))
    users = generate_entities(universe, "user", USERS, "u", seed=101)
    candidates = generate_entities(universe, "candidate", CANDIDATES, "c", seed=202)
    with open(os.path.join(args.out, "features.jsonl"), "w", encoding="utf-8") as f:
        for entity in users + candidates:
            f.write(json.dumps(entity, separators=(",", ":")) + "\n")
    data = FeatureData(universe, users, candidates)

    catalog = build_catalog(universe)
    for model, version, arch, signature in catalog:
        bitwise, spread = build_model(model, version, arch, signature, data, universe, args.out)
        print(f"  {model}/{version}: {arch}, {sum(len(i['features']) for i in signature['inputs'])} features, "
              f"scores {spread[0]:.3f}..{spread[1]:.3f}, row-by-row bitwise equal to batch: {bitwise}")

    partitions = {"schema": "arbor.partitions/v1", "partitions": {
        name: {"production": p["production"], "models": p["models"],
               "versions": {m: sorted({v for mm, v, _, _ in catalog if mm == m}, key=int) for m in p["models"]}}
        for name, p in PARTITIONS.items()}}
    write_json(os.path.join(args.out, "partitions.json"), partitions)
    if args.bad_out:
        write_bad_artefacts(args.bad_out, os.path.join(args.out, catalog[0][0], catalog[0][1], "model.pt"))
        write_failing_version(os.path.join(args.bad_out, "failing_repo"), args.out, "homefeed_ctr", "3", "4")
    print(f"generated {len(catalog)} model versions, {len(universe)} features in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
