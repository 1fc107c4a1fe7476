"""Scores once through a root's public gRPC listener with Debian's python3-grpcio, with and without an API key.

Usage: root_auth_check.py ROOT_ADDRESS MESSAGES_DIR KEY
Prints one JSON line: the status code name of a call carrying metadata
(("authorization", "Bearer KEY"),), of one carrying none, and the models the first one scored.
"""
import json
import sys

import grpc
from interop_messages import load as load_messages  # beside messages.pb, on PYTHONPATH (PythonInterop)

address, messages_dir, key = sys.argv[1:4]


messages = load_messages(messages_dir)
ScoreRequest = messages["arbor.v1.ScoreRequest"]
ScoreResponse = messages["arbor.v1.ScoreResponse"]
channel = grpc.insecure_channel(address)
score = channel.unary_unary("/arbor.v1.Root/Score", request_serializer=lambda m: m.SerializeToString(),
                            response_deserializer=ScoreResponse.FromString)
request = ScoreRequest(surface="home", user_id="u1", request_id="py-auth")
for i in range(5):
    request.candidates.add(id=f"c{i}")
request.context["ctx_hour"].float_value = 13


def call(metadata):
    try:
        response = score(request, timeout=20, metadata=metadata)
        return "OK", sorted(r.model for r in response.results if r.status.code == 0 and len(r.candidates) == 5), ""
    except grpc.RpcError as e:
        return e.code().name, [], e.details() or ""


with_key, scored, _ = call((("authorization", "Bearer " + key),))
without_key, _, detail = call(None)
print(json.dumps({"with_key": with_key, "models_scored": scored, "without_key": without_key, "without_key_detail": detail}))
