"""Writes a Feast online store from Arbor's JSONL feature data (the file `arbor store load` reads)
the way Feast lays it out. OUT is a SQLite file or redis://HOST:PORT/DB.

SQLite (Feast's SqliteOnlineStore): one table per feature view named {project}_{view}, primary key
(entity_key, feature_name), value = a serialized feast.types.Value, event_ts and created_ts as Unix
seconds.

Redis (Feast's RedisOnlineStore, python3-redis): one hash per entity, key = serialized entity key +
project (UTF-8); field = murmur3_32 (seed 0) of "{view}:{feature}" as 4 bytes little-endian, value =
a serialized feast.types.Value; field "_ts:{view}" = a serialized google.protobuf.Timestamp (seconds).

Entity keys are serialized in Feast's version 3 form. The message classes come from
proto/feast/types (through interop_messages).

    feast_writer.py write MESSAGES_DIR REGISTRY JSONL OUT PROJECT EVENT_TS \
        USER_VIEW USER_JOIN_KEY USER_KEY_TYPE CANDIDATE_VIEW CANDIDATE_JOIN_KEY CANDIDATE_KEY_TYPE
    feast_writer.py key MESSAGES_DIR JOIN_KEY KEY_TYPE ID     (prints the serialized key, hex)
    feast_writer.py redis-key MESSAGES_DIR JOIN_KEY KEY_TYPE ID PROJECT   (prints the Redis key, hex)
    feast_writer.py field VIEW FEATURE                         (prints the Redis hash field, hex)
    feast_writer.py value MESSAGES_DIR FIELD JSON              (prints the serialized value, hex)

Feast value types are chosen to cover what Arbor decodes: user floats are double_val (Feast
Float64), candidate floats float_val (Float32); user vectors double_list_val, candidate vectors
float_list_val; candidate int64 features and lists int32_val / int32_list_val where every value
fits, int64 otherwise; strings string_val; bytes (base64 in the JSONL) bytes_val.
"""
import base64
import json
import sqlite3
import struct
import sys

import interop_messages
from google.protobuf.timestamp_pb2 import Timestamp

STRING, INT32, INT64 = 2, 3, 4
KEY_TYPES = {"string": STRING, "int32": INT32, "int64": INT64}


def serialize_entity_key(entity_key):
    """Feast's entity key serialization, version 3: a u32 key count, per sorted join key
    <u32 STRING><u32 length><UTF-8>, then per value <u32 type><u32 length><bytes>; little-endian."""
    pairs = sorted(zip(entity_key.join_keys, entity_key.entity_values), key=lambda p: p[0])
    out = [struct.pack("<I", len(pairs))]
    for name, _ in pairs:
        encoded = name.encode("utf-8")
        out.append(struct.pack("<II", STRING, len(encoded)))
        out.append(encoded)
    for _, value in pairs:
        which = value.WhichOneof("val")
        if which == "string_val":
            raw, kind = value.string_val.encode("utf-8"), STRING
        elif which == "int32_val":
            raw, kind = struct.pack("<i", value.int32_val), INT32
        elif which == "int64_val":
            raw, kind = struct.pack("<q", value.int64_val), INT64
        else:
            raise ValueError(f"join key value {which} is not written by this fixture")
        out.append(struct.pack("<II", kind, len(raw)))
        out.append(raw)
    return b"".join(out)


def entity_key(classes, join_key, key_type, entity_id):
    value = classes["feast.types.Value"]()
    if key_type == "string":
        value.string_val = entity_id
    elif key_type == "int32":
        value.int32_val = int(entity_id)
    else:
        value.int64_val = int(entity_id)
    key = classes["feast.types.EntityKey"]()
    key.join_keys.append(join_key)
    key.entity_values.append(value)
    return serialize_entity_key(key)


def murmur3_32(data, seed=0):
    """MurmurHash3_x86_32 (what mmh3.hash computes; Feast's _mmh3 packs it little-endian)."""
    c1, c2, mask = 0xCC9E2D51, 0x1B873593, 0xFFFFFFFF

    def mix(k):
        k = (k * c1) & mask
        k = ((k << 15) | (k >> 17)) & mask
        return (k * c2) & mask

    h = seed & mask
    end = len(data) & ~3
    for i in range(0, end, 4):
        h ^= mix(int.from_bytes(data[i:i + 4], "little"))
        h = ((h << 13) | (h >> 19)) & mask
        h = (h * 5 + 0xE6546B64) & mask
    tail = data[end:]
    if tail:
        h ^= mix(int.from_bytes(tail, "little"))
    h ^= len(data)
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & mask
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & mask
    return h ^ (h >> 16)


def redis_field(view, feature):
    return struct.pack("<I", murmur3_32(f"{view}:{feature}".encode("utf-8")))


def redis_key(serialized_entity_key, project):
    return serialized_entity_key + project.encode("utf-8")


def raw_type(feature):
    """The type a feature's stored values have: the registry type before preprocessing
    (bucketize takes a float, hash_to_id a string, or an int64 list element-wise)."""
    for transform in feature.get("transforms") or []:
        if transform.get("kind") == "bucketize":
            return "float"
        if transform.get("kind") == "hash_to_id":
            return "int64_list" if feature["type"] == "int64_list" else "string"
    return feature["type"]


def fits_int32(values):
    return all(-(2**31) <= v < 2**31 for v in values)


def feast_value(classes, entity, feature_type, raw):
    value = classes["feast.types.Value"]()
    user = entity == "user"
    if feature_type == "float":
        if user:
            value.double_val = float(raw)
        else:
            value.float_val = float(raw)
    elif feature_type == "int64":
        if not user and fits_int32([raw]):
            value.int32_val = raw
        else:
            value.int64_val = raw
    elif feature_type == "float_vector":
        (value.double_list_val if user else value.float_list_val).val.extend(float(v) for v in raw)
    elif feature_type == "int64_list":
        if not user and fits_int32(raw):
            value.int32_list_val.val.extend(raw)
        else:
            value.int64_list_val.val.extend(raw)
    elif feature_type == "string":
        value.string_val = raw
    elif feature_type == "bytes":
        value.bytes_val = base64.b64decode(raw)
    else:
        raise ValueError(f"unknown registry type {feature_type}")
    return value.SerializeToString()


def create_table(db, table):
    # Feast's own statements (SqliteOnlineStore.update).
    db.execute(
        f"CREATE TABLE IF NOT EXISTS {table} (entity_key BLOB, feature_name TEXT, value BLOB, vector_value BLOB, "
        f"event_ts timestamp, created_ts timestamp,  PRIMARY KEY(entity_key, feature_name))"
    )
    db.execute(f"CREATE INDEX IF NOT EXISTS {table}_ek ON {table} (entity_key);")


def write(args):
    (messages, registry_path, jsonl, out, project, event_ts,
     user_view, user_join_key, user_key_type, candidate_view, candidate_join_key, candidate_key_type) = args
    if out.startswith("redis://"):
        write_redis(args)
        return
    classes = interop_messages.load(messages)
    with open(registry_path) as f:
        types = {feature["name"]: raw_type(feature) for feature in json.load(f)["features"]}
    layout = {
        "user": (f"{project}_{user_view}", user_join_key, user_key_type),
        "candidate": (f"{project}_{candidate_view}", candidate_join_key, candidate_key_type),
    }
    event_ts = int(event_ts)
    db = sqlite3.connect(out)
    for table, _, _ in layout.values():
        create_table(db, table)
    rows = 0
    with open(jsonl) as f:
        for line in f:
            if not line.strip():
                continue
            entity = json.loads(line)
            table, join_key, key_type = layout[entity["entity"]]
            key = entity_key(classes, join_key, key_type, entity["id"])
            for name, raw in entity["features"].items():
                if raw is None:
                    continue
                db.execute(
                    f"INSERT INTO {table} (entity_key, feature_name, value, event_ts, created_ts) VALUES (?, ?, ?, ?, ?) "
                    f"ON CONFLICT(entity_key, feature_name) DO UPDATE SET value = excluded.value, "
                    f"event_ts = excluded.event_ts, created_ts = excluded.created_ts",
                    (key, name, feast_value(classes, entity["entity"], types[name], raw), event_ts, event_ts),
                )
                rows += 1
    db.commit()
    db.close()
    print(json.dumps({"rows": rows}))


def write_redis(args):
    (messages, registry_path, jsonl, out, project, event_ts,
     user_view, user_join_key, user_key_type, candidate_view, candidate_join_key, candidate_key_type) = args
    import redis

    classes = interop_messages.load(messages)
    with open(registry_path) as f:
        types = {feature["name"]: raw_type(feature) for feature in json.load(f)["features"]}
    layout = {
        "user": (user_view, user_join_key, user_key_type),
        "candidate": (candidate_view, candidate_join_key, candidate_key_type),
    }
    stamp = Timestamp()
    stamp.seconds = int(event_ts)
    client = redis.Redis.from_url(out)
    values = 0
    with client.pipeline(transaction=False) as pipe:
        with open(jsonl) as f:
            for line in f:
                if not line.strip():
                    continue
                entity = json.loads(line)
                view, join_key, key_type = layout[entity["entity"]]
                key = redis_key(entity_key(classes, join_key, key_type, entity["id"]), project)
                # Feast's online_write_batch: one HSET per entity and view, the view's _ts beside its features.
                mapping = {f"_ts:{view}": stamp.SerializeToString()}
                for name, raw in entity["features"].items():
                    if raw is None:
                        continue
                    mapping[redis_field(view, name)] = feast_value(classes, entity["entity"], types[name], raw)
                    values += 1
                pipe.hset(key, mapping=mapping)
        pipe.execute()
    print(json.dumps({"rows": values}))


def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command == "write":
        write(args)
    elif command == "key":
        messages, join_key, key_type, entity_id = args
        print(entity_key(interop_messages.load(messages), join_key, key_type, entity_id).hex())
    elif command == "redis-key":
        messages, join_key, key_type, entity_id, project = args
        print(redis_key(entity_key(interop_messages.load(messages), join_key, key_type, entity_id), project).hex())
    elif command == "field":
        view, feature = args
        print(redis_field(view, feature).hex())
    elif command == "value":
        messages, field, raw = args
        value = interop_messages.load(messages)["feast.types.Value"]()
        parsed = json.loads(raw)
        target = getattr(value, field)
        if isinstance(parsed, list):
            target.val.extend(parsed)
        else:
            setattr(value, field, parsed)
        print(value.SerializeToString().hex())
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main()
