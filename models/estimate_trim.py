#!/usr/bin/python3
"""Estimates the root→leaf bytes a model receives untrimmed (every feature of the universe) and
trimmed (its allowlist only), from the registry, the sample data and each model's signature.

    estimate_trim.py [REPO] [--candidates N]

Payload bytes per request = user and context features once + candidate features × N, each value
costed by type (float 4, int64 8, float_vector 4·dim, int64_list 8·mean length, string/bytes mean
length) times how often it is present after preprocessing (default_fill makes it always present).
"""

import argparse
import base64
import json
import os
import zipfile
from collections import defaultdict


def value_bytes(feature, value):
    t = feature["type"]
    if t == "float":
        return 4
    if t == "int64":
        return 8
    if t == "float_vector":
        return 4 * feature["dim"]
    if t == "int64_list":
        return 8 * len(value)
    if t == "bytes":
        return len(base64.b64decode(value))
    return len(str(value).encode("utf-8"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("repo", nargs="?", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "repo"))
    parser.add_argument("--candidates", type=int, default=200)
    args = parser.parse_args()
    registry = json.load(open(os.path.join(args.repo, "feature_registry.json")))["features"]
    defs = {f["name"]: f for f in registry}
    totals, counts = defaultdict(float), defaultdict(int)
    for line in open(os.path.join(args.repo, "features.jsonl")):
        entity = json.loads(line)
        counts[entity["entity"]] += 1
        for name, value in entity["features"].items():
            totals[name] += value_bytes(defs[name], value)
    expected = {}
    for f in registry:
        filled = any(t["kind"] == "default_fill" for t in f.get("transforms", []))
        n = counts[f["entity"]]
        if f["entity"] == "context":
            expected[f["name"]] = value_bytes(f, "x" * 6) if f["type"] in ("string", "bytes") else value_bytes(f, None) * 0.9
        else:
            mean = totals[f["name"]] / n
            expected[f["name"]] = value_bytes(f, None) if filled and f["type"] in ("float", "int64") else mean

    def payload(names):
        return sum(expected[x] * (args.candidates if defs[x]["entity"] == "candidate" else 1) for x in names)

    partitions = json.load(open(os.path.join(args.repo, "partitions.json")))["partitions"]
    universe = payload(defs)
    print(f"universe: {len(defs)} features, untrimmed payload {universe / 1024:.0f} KiB per request of {args.candidates} candidates")
    print(f"{'model/version':28} {'allowlist':>9} {'share':>6} {'trimmed KiB':>11} {'untrimmed/trimmed':>17} {'vs partition union':>18}")
    for name, partition in partitions.items():
        signatures = []
        for model in partition["models"]:
            for version in partition["versions"][model]:
                with zipfile.ZipFile(os.path.join(args.repo, model, version, "model.pt")) as z:
                    entry = next(n for n in z.namelist() if n.endswith("/extra/module_info.json"))
                    signatures.append(json.loads(z.read(entry)))
        union = {x for s in signatures for i in s["inputs"] for x in i["features"]}
        for s in signatures:
            allow = [x for i in s["inputs"] for x in i["features"]]
            trimmed = payload(allow)
            print(f"{s['model'] + '/' + s['version']:28} {len(allow):9} {len(allow) / len(defs):6.1%} {trimmed / 1024:11.0f} "
                  f"{universe / trimmed:16.2f}x {payload(union) / trimmed:17.2f}x")
        print(f"  partition {name}: union of allowlists {len(union)} features ({len(union) / len(defs):.0%})")


if __name__ == "__main__":
    main()
