"""Scores once through a root's public gRPC listener over TLS with Debian's python3-grpcio.

Usage: root_tls_check.py ROOT_ADDRESS CA_FILE MESSAGES_DIR [CLIENT_CERT CLIENT_KEY]
Trusts only CA_FILE; presents CLIENT_CERT/CLIENT_KEY when given. Prints one JSON line: the call's
status code name and, when it succeeded, the models that scored every candidate.
"""
import json
import sys

import grpc
from interop_messages import load as load_messages  # beside messages.pb, on PYTHONPATH (PythonInterop)

address, ca_file, messages_dir = sys.argv[1:4]
client = sys.argv[4:6]


def read(path):
    with open(path, "rb") as f:
        return f.read()


messages = load_messages(messages_dir)
ScoreRequest = messages["arbor.v1.ScoreRequest"]
ScoreResponse = messages["arbor.v1.ScoreResponse"]
credentials = grpc.ssl_channel_credentials(
    root_certificates=read(ca_file),
    private_key=read(client[1]) if client else None,
    certificate_chain=read(client[0]) if client else None)
# The root's certificate names localhost and 127.0.0.1; grpcio checks the name.
channel = grpc.secure_channel(address, credentials, options=[("grpc.ssl_target_name_override", "localhost")])
score = channel.unary_unary("/arbor.v1.Root/Score", request_serializer=lambda m: m.SerializeToString(),
                            response_deserializer=ScoreResponse.FromString)
request = ScoreRequest(surface="home", user_id="u1", request_id="py-tls")
for i in range(5):
    request.candidates.add(id=f"c{i}")
request.context["ctx_hour"].float_value = 13
try:
    response = score(request, timeout=20)
    scored = [r.model for r in response.results if r.status.code == 0 and len(r.candidates) == 5]
    print(json.dumps({"code": "OK", "models_scored": sorted(scored)}))
except grpc.RpcError as e:
    print(json.dumps({"code": e.code().name}))
