"""The sample models: per partition a production model and experimental variants, each with
versions. Feature choices are seeded samples over the universe, so every run picks the same ones."""

import zlib

import numpy as np

PARTITIONS = {
    "homefeed": {"production": "homefeed_ctr", "models": ["homefeed_ctr", "homefeed_ctr_exp_a", "homefeed_ctr_exp_b"]},
    "related": {"production": "related_mt", "models": ["related_mt", "related_mt_exp_a"]},
}


def seed_of(*parts):
    return zlib.crc32("/".join(parts).encode("utf-8"))


def dense(name, features, default=0.0):
    spec = {"name": name, "kind": "dense", "dtype": "float32", "features": list(features)}
    if default != 0.0:
        spec["default"] = default
    return spec


def vector(name, feature, dim):
    return {"name": name, "kind": "vector", "dtype": "float32", "dim": dim, "features": [feature]}


def id_list(name, feature, max_length):
    return {"name": name, "kind": "id_list", "dtype": "int64", "max_length": max_length, "features": [feature]}


class Universe:
    def __init__(self, universe):
        self.features = universe
        self.dims = {f["name"]: f.get("dim") for f in universe}
        self.floats = {e: [f["name"] for f in universe if f["entity"] == e and f["type"] == "float"]
                       for e in ("user", "candidate", "context")}

    def sample(self, entity, n, seed, exclude=()):
        pool = [x for x in self.floats[entity] if x not in set(exclude)]
        picked = np.random.default_rng(seed).choice(len(pool), n, replace=False)
        return [pool[i] for i in sorted(picked)]

    def vector(self, feature):
        return vector(feature, feature, self.dims[feature])


def _without(items, drop):
    drop = set(drop)
    return [x for x in items if x not in drop]


def build_catalog(universe):
    """Returns [(model, version, architecture, signature)] in generation order."""
    u = Universe(universe)
    ctx_time = ["ctx_hour_of_day", "ctx_day_of_week"]
    out = []

    def add(model, version, arch, inputs, outputs):
        out.append((model, version, arch, {
            "schema": "arbor.module_info/v1", "model": model, "version": version,
            "inputs": inputs, "outputs": [{"name": o} for o in outputs]}))

    # homefeed_ctr: the production DLRM; v2 adds features, v3 drops some of them again.
    c1, u1 = u.sample("candidate", 45, 11), u.sample("user", 40, 12)
    ids1 = [id_list("user_interests", "user_interest_ids", 32), id_list("pin_annotations", "pin_annotation_ids", 16),
            id_list("pin_categories", "pin_category_ids", 8)]
    add("homefeed_ctr", "1", "dlrm",
        [dense("dense", c1 + u1 + ctx_time), u.vector("user_emb_v1"), u.vector("pin_embedding_v1")] + ids1, ["p_click"])
    c2 = c1 + u.sample("candidate", 15, 13, exclude=c1)
    u2 = u1 + u.sample("user", 10, 14, exclude=u1)
    dense2 = c2 + u2 + ctx_time
    add("homefeed_ctr", "2", "dlrm",
        [dense("dense", dense2), u.vector("user_emb_v1"), u.vector("pin_embedding_v1"), u.vector("pin_embedding_v2")]
        + ids1 + [id_list("user_recent_pins", "user_recent_pin_ids", 50)], ["p_click"])
    dropped = [dense2[i] for i in sorted(np.random.default_rng(15).choice(len(dense2), 20, replace=False))]
    add("homefeed_ctr", "3", "dlrm",
        [dense("dense", _without(dense2, dropped)), u.vector("user_emb_v1"), u.vector("pin_embedding_v2")]
        + ids1 + [id_list("user_recent_pins", "user_recent_pin_ids", 50)], ["p_click"])

    # homefeed_ctr_exp_a: a wider DLRM whose inputs interleave kinds (the order is the signature's).
    add("homefeed_ctr_exp_a", "1", "dlrm",
        [id_list("user_interests", "user_interest_ids", 64),
         dense("dense", u.sample("candidate", 55, 21) + u.sample("user", 45, 22)),
         u.vector("pin_visual_emb"), id_list("pin_topics", "pin_topic_ids", 16), u.vector("user_pinsage_emb"),
         u.vector("pin_embedding_v2"), id_list("user_saved_pins", "user_recent_saved_pin_ids", 64),
         id_list("pin_keywords", "pin_keyword_ids", 32)], ["p_click"])

    # homefeed_ctr_exp_b: affinity-driven, two dense inputs; v2 adds a context input and an embedding.
    affinities = [x for x in u.floats["user"] if x.startswith("user_affinity_")]
    rates = u.sample("candidate", 40, 31, exclude=[x for x in u.floats["candidate"] if "rate" not in x and "ctr" not in x])
    b1 = [dense("user_dense", affinities), dense("pin_dense", rates), u.vector("user_emb_v2"),
          u.vector("pin_embedding_v3"), id_list("pin_categories", "pin_category_ids", 8),
          id_list("user_categories", "user_recent_category_ids", 16)]
    add("homefeed_ctr_exp_b", "1", "dlrm", b1, ["p_click"])
    add("homefeed_ctr_exp_b", "2", "dlrm",
        b1 + [dense("context", u.floats["context"], default=-1.0), u.vector("pin_graphsage_emb")], ["p_click"])

    # related_mt: the production wide-and-deep multi-task model; v2 adds, v3 drops.
    heads = ["p_click", "p_save", "p_closeup", "p_hide"]
    ru1, rc1 = u.sample("user", 30, 41), u.sample("candidate", 70, 42)
    r1_ids = [id_list("pin_annotations", "pin_annotation_ids", 32), id_list("pin_boards", "pin_board_ids", 24),
              id_list("user_boards", "user_followed_board_ids", 64)]
    r1_vectors = [u.vector("pin_embedding_v2"), u.vector("pin_text_emb"), u.vector("user_emb_v2")]
    add("related_mt", "1", "wide_deep_mt",
        [dense("user_dense", ru1), dense("pin_dense", rc1, default=-1.0)] + r1_vectors + r1_ids, heads)
    rc2 = rc1 + u.sample("candidate", 20, 43, exclude=rc1)
    r2_vectors = r1_vectors + [u.vector("pin_visual_emb"), u.vector("creator_emb")]
    r2_ids = r1_ids + [id_list("user_queries", "user_search_query_ids", 32)]
    add("related_mt", "2", "wide_deep_mt",
        [dense("user_dense", ru1), dense("pin_dense", rc2, default=-1.0)] + r2_vectors + r2_ids, heads)
    rc3 = _without(rc2, [rc2[i] for i in sorted(np.random.default_rng(44).choice(len(rc2), 15, replace=False))])
    add("related_mt", "3", "wide_deep_mt",
        [dense("user_dense", ru1), dense("pin_dense", rc3, default=-1.0)]
        + [v for v in r2_vectors if v["name"] != "pin_text_emb"]
        + [i for i in r2_ids if i["name"] != "pin_boards"], heads)

    # related_mt_exp_a: graph embeddings and long id lists; v2 adds creator signals.
    e1 = [dense("dense", u.sample("candidate", 50, 51) + u.sample("user", 40, 52) + ctx_time),
          u.vector("pin_graphsage_emb"), u.vector("user_pinsage_emb"), u.vector("board_emb"),
          id_list("related_pins", "pin_related_pin_ids", 100), id_list("user_recent_pins", "user_recent_pin_ids", 100)]
    add("related_mt_exp_a", "1", "wide_deep_mt", e1, ["p_click", "p_save"])
    add("related_mt_exp_a", "2", "wide_deep_mt",
        e1 + [u.vector("creator_emb"), id_list("creator_topics", "creator_topic_ids", 16)], ["p_click", "p_save"])
    return out
