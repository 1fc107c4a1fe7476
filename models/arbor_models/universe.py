"""The sample feature universe: what the feature store serves (written as feature_registry.json).

Names, types, entities and preprocessing are fixed by this file (no randomness), so the universe
is the same on every machine.
"""

WINDOWS = ["1d", "7d", "28d", "90d"]
COUNTRIES = ["us", "gb", "de", "fr", "br", "jp", "in", "mx", "ca", "au", "es", "it"]
SEGMENTS = ["new_users", "power_users", "mobile", "web", "tablet"]
CATEGORIES = [
    "art", "beauty", "cars", "crafts", "design", "diy", "education", "entertainment", "fashion_men",
    "fashion_women", "fitness", "food", "gardening", "geek", "hair", "health", "history", "holidays",
    "home_decor", "humor", "illustrations", "kids", "architecture", "outdoors", "parenting", "pets",
    "photography", "quotes", "science", "sports", "tattoos", "technology", "travel", "weddings",
    "animals", "anime", "books", "camping", "cooking", "drinks", "electronics", "film", "games",
    "interior", "jewelry", "makeup", "music", "nails", "nature", "painting", "planning", "recipes",
    "running", "skincare", "sneakers", "space", "tv", "vintage", "wellness", "yoga",
]
HOURS = [f"{h:02d}" for h in range(24)]
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _count(name, entity, fill=True):
    transforms = ([{"kind": "default_fill", "fill": 0.0}] if fill else []) + [{"kind": "log1p"}]
    return {"name": name, "type": "float", "entity": entity, "transforms": transforms, "family": "count"}


def _rate(name, entity):
    return {"name": name, "type": "float", "entity": entity,
            "transforms": [{"kind": "clip", "min": 0.0, "max": 1.0}], "family": "rate"}


def _plain(name, entity, family="score", transforms=None):
    feature = {"name": name, "type": "float", "entity": entity, "family": family}
    if transforms:
        feature["transforms"] = transforms
    return feature


def _vector(name, entity, dim):
    return {"name": name, "type": "float_vector", "entity": entity, "dim": dim, "family": "vector"}


def _ids(name, entity, vocab, mean_len, max_len):
    # cardinality: the registry's id range (ids 0..vocab-1), which `arbor model check` feeds models.
    return {"name": name, "type": "int64_list", "entity": entity, "family": "ids", "cardinality": vocab,
            "vocab": vocab, "mean_len": mean_len, "max_len": max_len}


def build_universe():
    """Returns the feature definitions in registry order. Keys other than the registry's own
    (family, vocab, mean_len, max_len, raw) guide the data generator and are not written out."""
    f = []
    # ---- candidate (pin) features
    for metric in ["impressions", "clicks", "saves", "closeups", "hides", "outbound_clicks", "repins", "comments"]:
        for w in WINDOWS:
            f.append(_count(f"pin_{metric}_{w}", "candidate", fill=w != "1d"))
    for metric in ["ctr", "save_rate", "closeup_rate", "hide_rate", "outbound_rate"]:
        for w in WINDOWS:
            f.append(_rate(f"pin_{metric}_{w}", "candidate"))
    f.append(_plain("pin_age_days", "candidate", "age", [{"kind": "clip", "min": 0.0, "max": 3650.0}, {"kind": "log1p"}]))
    for name in ["pin_width", "pin_height", "pin_video_duration_s", "pin_title_length", "pin_description_length",
                 "pin_num_annotations"]:
        f.append(_count(name, "candidate", fill=False))
    for name in ["pin_aspect_ratio", "pin_quality_score", "pin_spam_score", "pin_is_video", "pin_domain_quality",
                 "pin_freshness_score", "pin_image_brightness", "pin_image_saturation", "pin_text_density",
                 "pin_face_count_score", "pin_is_product", "pin_price_score", "pin_nsfw_score"]:
        f.append(_plain(name, "candidate"))
    for metric in ["followers", "pins", "saves_7d", "saves_28d", "clicks_7d", "clicks_28d", "collaborators"]:
        f.append(_count(f"board_{metric}", "candidate"))
    f.append(_plain("board_quality_score", "candidate"))
    f.append(_plain("board_age_days", "candidate", "age", [{"kind": "clip", "min": 0.0, "max": 3650.0}, {"kind": "log1p"}]))
    for metric in ["followers", "following", "pins", "saves_28d", "impressions_28d"]:
        f.append(_count(f"creator_{metric}", "candidate"))
    for metric in ["ctr_28d", "save_rate_28d"]:
        f.append(_rate(f"creator_{metric}", "candidate"))
    for name in ["creator_quality_score", "creator_is_verified"]:
        f.append(_plain(name, "candidate"))
    f.append(_plain("creator_age_days", "candidate", "age", [{"kind": "clip", "min": 0.0, "max": 3650.0}, {"kind": "log1p"}]))
    for name in ["domain_ctr_28d", "domain_save_rate_28d"]:
        f.append(_rate(name, "candidate"))
    for name in ["domain_quality", "domain_spam_score"]:
        f.append(_plain(name, "candidate"))
    for country in COUNTRIES:
        for metric in ["ctr", "save_rate"]:
            for w in ["7d", "28d"]:
                f.append(_rate(f"pin_{metric}_{country}_{w}", "candidate"))
    for segment in SEGMENTS:
        for metric in ["ctr", "save_rate", "closeup_rate"]:
            f.append(_rate(f"pin_{metric}_{segment}_28d", "candidate"))
    for i in range(16):
        f.append(_plain(f"pin_color_hist_{i:02d}", "candidate"))
    for i in range(8):
        f.append(_plain(f"pin_legacy_score_{i}", "candidate"))
    f.append(_vector("pin_embedding_v1", "candidate", 32))
    f.append(_vector("pin_embedding_v2", "candidate", 64))
    f.append(_vector("pin_embedding_v3", "candidate", 64))
    f.append(_vector("pin_visual_emb", "candidate", 64))
    f.append(_vector("pin_text_emb", "candidate", 64))
    f.append(_vector("pin_graphsage_emb", "candidate", 64))
    f.append(_vector("board_emb", "candidate", 32))
    f.append(_vector("creator_emb", "candidate", 32))
    f.append(_ids("pin_annotation_ids", "candidate", 50_000, 12, 40))
    f.append(_ids("pin_category_ids", "candidate", 500, 4, 16))
    f.append(_ids("pin_topic_ids", "candidate", 5_000, 6, 20))
    f.append(_ids("pin_keyword_ids", "candidate", 100_000, 10, 60))
    f.append(_ids("pin_board_ids", "candidate", 1_000_000, 8, 120))
    f.append(_ids("pin_related_pin_ids", "candidate", 10_000_000, 20, 150))
    f.append(_ids("pin_color_ids", "candidate", 256, 4, 10))
    f.append(_ids("creator_topic_ids", "candidate", 5_000, 5, 20))
    f.append({"name": "pin_title", "type": "string", "entity": "candidate", "family": "text"})
    f.append({"name": "pin_link_domain", "type": "string", "entity": "candidate", "family": "domain"})
    f.append({"name": "pin_image_signature", "type": "bytes", "entity": "candidate", "family": "bytes"})
    f.append({"name": "pin_language_id", "type": "int64", "entity": "candidate", "family": "language",
              "transforms": [{"kind": "hash_to_id", "buckets": 1000}]})
    f.append({"name": "pin_age_bucket", "type": "int64", "entity": "candidate", "family": "age",
              "transforms": [{"kind": "bucketize", "boundaries": [1.0, 7.0, 30.0, 90.0, 365.0, 1095.0]}]})

    # ---- user features
    for action in ["impressions", "clicks", "saves", "closeups", "hides", "searches", "sessions", "outbound_clicks"]:
        for w in WINDOWS:
            f.append(_count(f"user_{action}_{w}", "user"))
    for metric in ["ctr", "save_rate", "closeup_rate", "hide_rate"]:
        for w in ["7d", "28d", "90d"]:
            f.append(_rate(f"user_{metric}_{w}", "user"))
    f.append(_plain("user_age_days", "user", "age", [{"kind": "clip", "min": 0.0, "max": 5000.0}, {"kind": "log1p"}]))
    for name in ["user_num_followers", "user_num_following", "user_num_boards", "user_num_pins",
                 "user_days_since_last_visit", "user_avg_session_minutes", "user_num_devices"]:
        f.append(_count(name, "user"))
    for name in ["user_is_business", "user_activity_score", "user_churn_score", "user_diversity_score",
                 "user_video_affinity", "user_shopping_affinity", "user_novelty_score"]:
        f.append(_plain(name, "user"))
    for category in CATEGORIES:
        f.append(_plain(f"user_affinity_{category}", "user", "affinity",
                        [{"kind": "default_fill", "fill": 0.0}, {"kind": "clip", "min": 0.0, "max": 1.0}]))
    for surface in ["homefeed", "related", "search", "profile"]:
        f.append(_count(f"user_{surface}_impressions_28d", "user"))
        for metric in ["ctr", "save_rate"]:
            f.append(_rate(f"user_{surface}_{metric}_28d", "user"))
    for hour in HOURS:
        f.append(_plain(f"user_hour_activity_{hour}", "user", "share"))
    for day in DAYS:
        f.append(_plain(f"user_dow_activity_{day}", "user", "share"))
    f.append(_vector("user_emb_v1", "user", 32))
    f.append(_vector("user_emb_v2", "user", 64))
    f.append(_vector("user_pinsage_emb", "user", 64))
    f.append(_vector("user_search_emb", "user", 64))
    f.append(_vector("user_board_emb", "user", 32))
    f.append(_ids("user_interest_ids", "user", 5_000, 20, 80))
    f.append(_ids("user_recent_pin_ids", "user", 10_000_000, 60, 300))
    f.append(_ids("user_recent_saved_pin_ids", "user", 10_000_000, 30, 200))
    f.append(_ids("user_followed_board_ids", "user", 1_000_000, 25, 200))
    f.append(_ids("user_followed_creator_ids", "user", 1_000_000, 20, 150))
    f.append(_ids("user_search_query_ids", "user", 100_000, 15, 100))
    f.append(_ids("user_recent_category_ids", "user", 500, 8, 30))
    f.append(_ids("user_negative_pin_ids", "user", 10_000_000, 10, 80))
    f.append({"name": "user_country", "type": "string", "entity": "user", "family": "country"})
    f.append({"name": "user_country_id", "type": "int64", "entity": "user", "family": "country",
              "transforms": [{"kind": "hash_to_id", "buckets": 300}]})
    f.append({"name": "user_locale", "type": "string", "entity": "user", "family": "locale"})

    # ---- context features (request-level, supplied by the caller)
    f.append(_plain("ctx_hour_of_day", "context", "hour"))
    f.append(_plain("ctx_day_of_week", "context", "dow"))
    f.append(_plain("ctx_is_weekend", "context", "flag"))
    f.append(_count("ctx_session_depth", "context"))
    f.append(_count("ctx_time_since_last_request_s", "context"))
    f.append(_plain("ctx_request_position", "context", "position"))
    f.append({"name": "ctx_device_type_id", "type": "int64", "entity": "context", "family": "device",
              "transforms": [{"kind": "hash_to_id", "buckets": 64}]})
    f.append({"name": "ctx_network_type_id", "type": "int64", "entity": "context", "family": "network",
              "transforms": [{"kind": "hash_to_id", "buckets": 16}]})
    f.append({"name": "ctx_app_version", "type": "string", "entity": "context", "family": "version"})
    f.append({"name": "ctx_hour_bucket", "type": "int64", "entity": "context", "family": "hour",
              "transforms": [{"kind": "bucketize", "boundaries": [6.0, 12.0, 18.0]}]})

    names = [x["name"] for x in f]
    assert len(names) == len(set(names)), "duplicate feature names"
    return f


REGISTRY_KEYS = ("name", "type", "entity", "dim", "cardinality", "transforms")


def registry_document(universe):
    features = [{k: x[k] for k in REGISTRY_KEYS if k in x} for x in universe]
    return {"schema": "arbor.feature_registry/v1", "features": features}
