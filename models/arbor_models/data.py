"""Seeded sample entity data (features.jsonl): raw values as the feature store holds them."""

import base64

import numpy as np

from .universe import COUNTRIES

LANGUAGES = ["en", "de", "fr", "pt", "ja", "hi", "es", "it"]
DOMAINS = ["example.com", "recipes.example", "shop.example", "blog.example", "video.example", "news.example"]
WORDS = ["cozy", "modern", "kitchen", "summer", "easy", "vegan", "garden", "diy", "wedding", "outfit",
         "travel", "minimal", "vintage", "dinner", "ideas", "art", "living", "room", "quick", "bright"]
DEVICES = ["ios", "android", "web", "tablet", "tv"]
NETWORKS = ["wifi", "4g", "5g", "3g", "ethernet"]


def _r(x, digits=4):
    return round(float(x), digits)


def raw_value(feature, rng):
    """A raw stored value for one feature (JSON-ready)."""
    family = feature["family"]
    name = feature["name"]
    if family == "count":
        return float(np.floor(np.exp(rng.normal(3.0, 2.2))).clip(0, 5e7))
    if family == "rate":
        return _r(rng.uniform(1.0, 1.5)) if rng.random() < 0.02 else _r(rng.beta(2.0, 20.0))
    if family == "age":
        return _r(rng.uniform(0.0, 5500.0), 1)
    if family == "affinity":
        return _r(rng.uniform(1.0, 1.3)) if rng.random() < 0.03 else _r(rng.beta(0.5, 3.0))
    if family in ("score", "share"):
        return _r(rng.random())
    if family == "vector":
        return [_r(x, 3) for x in rng.normal(0.0, 0.3, feature["dim"])]
    if family == "ids":
        length = int(min(rng.geometric(1.0 / feature["mean_len"]), feature["max_len"]))
        ids = np.floor(feature["vocab"] * rng.random(length) ** 3).astype(np.int64)
        return [int(x) for x in ids]
    if family == "text":
        return " ".join(rng.choice(WORDS, int(rng.integers(2, 8))))
    if family == "domain":
        return str(rng.choice(DOMAINS))
    if family == "bytes":
        return base64.b64encode(rng.bytes(16)).decode("ascii")
    if family == "language":
        return str(rng.choice(LANGUAGES))
    if family == "country":
        return str(rng.choice(COUNTRIES))
    if family == "locale":
        return f"{rng.choice(LANGUAGES)}-{str(rng.choice(COUNTRIES)).upper()}"
    raise ValueError(f"no generator for {name} ({family})")


def context_value(feature, rng):
    family = feature["family"]
    if family == "hour":
        return float(rng.integers(0, 24))
    if family == "dow":
        return float(rng.integers(0, 7))
    if family == "flag":
        return float(rng.integers(0, 2))
    if family == "position":
        return float(rng.integers(0, 50))
    if family == "count":
        return float(np.floor(np.exp(rng.normal(2.0, 1.5))))
    if family == "device":
        return str(rng.choice(DEVICES))
    if family == "network":
        return str(rng.choice(NETWORKS))
    if family == "version":
        return f"{rng.integers(100, 130)}.{rng.integers(0, 10)}"
    raise ValueError(family)


def generate_entities(universe, entity, count, prefix, seed):
    """count entities; entity 0 is 'cold' (no stored features). Each feature is absent with some
    probability so absent features are the norm, not an edge case."""
    rng = np.random.default_rng(seed)
    features = [f for f in universe if f["entity"] == entity]
    out = []
    for i in range(count):
        values = {}
        if i > 0:
            sparse = rng.random() < 0.1  # a sparse entity (new or rarely active)
            for f in features:
                p_present = 0.35 if sparse else (0.8 if f["name"].endswith("_1d") else 0.92)
                value = raw_value(f, rng)  # drawn unconditionally: presence does not shift the stream
                if rng.random() < p_present:
                    values[f["name"]] = value
        out.append({"entity": entity, "id": f"{prefix}{i}", "features": values})
    return out


def context_for_row(universe, rng):
    return {f["name"]: context_value(f, rng) for f in universe if f["entity"] == "context" and rng.random() < 0.9}
