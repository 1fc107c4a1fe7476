"""Reference preprocessing: what the root applies to raw feature values once per request.

Semantics (documented in docs/feature-registry.md, which the root implements):
- raw float values are float32; every computation runs in double precision on them and the
  result is rounded to float32 once, at the end of the chain;
- transforms run in order; an absent value stays absent except through default_fill;
- log1p is ln(1 + x) computed as log(1.0 + x) in double;
- bucketize gives the number of boundaries <= x (an int64 in [0, len(boundaries)]);
- hash_to_id is FNV-1a 64-bit over the UTF-8 bytes, as unsigned, modulo buckets.
"""

import bisect
import math

import numpy as np

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3


def fnv1a64(data: bytes) -> int:
    h = FNV_OFFSET
    for b in data:
        h ^= b
        h = (h * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return h


def f32(x: float) -> float:
    """Rounds a double to the nearest float32 and returns it as a (exact) Python float."""
    return float(np.float32(x))


def _scalar(kind, t, x):
    if kind == "clip":
        if t.get("min") is not None:
            x = max(x, t["min"])
        if t.get("max") is not None:
            x = min(x, t["max"])
        return x
    if kind == "log1p":
        return math.log(1.0 + x)
    raise ValueError(kind)


def apply(feature, raw):
    """Maps a raw stored value (or None when absent) to the value models consume (or None)."""
    ftype = feature["type"]
    v = raw
    if v is not None and ftype in ("float", "float_vector") and not _is_bucketized(feature):
        v = [f32(x) for x in v] if ftype == "float_vector" else f32(v)
    for t in feature.get("transforms", []):
        kind = t["kind"]
        if kind == "default_fill":
            if v is None:
                v = [t["fill"]] * feature["dim"] if ftype == "float_vector" else t["fill"]
            continue
        if v is None:
            continue
        if kind in ("clip", "log1p"):
            v = [_scalar(kind, t, x) for x in v] if isinstance(v, list) else _scalar(kind, t, v)
        elif kind == "bucketize":
            v = bisect.bisect_right(t["boundaries"], f32(v))
        elif kind == "hash_to_id":
            v = fnv1a64(v.encode("utf-8")) % t["buckets"]
        else:
            raise ValueError(kind)
    if v is None:
        return None
    if ftype == "float":
        return f32(v)
    if ftype == "float_vector":
        return [f32(x) for x in v]
    if ftype == "int64":
        return int(v)
    return v


def _is_bucketized(feature):
    return any(t["kind"] == "bucketize" for t in feature.get("transforms", []))
