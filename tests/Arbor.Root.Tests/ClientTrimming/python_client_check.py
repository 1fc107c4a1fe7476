"""Drives clients/python/arbor_client.py against a running root, in two phases.

Usage: python_client_check.py ROOT_ADDRESS MESSAGES_DIR CLIENT_DIR
Phase 1 scores a request whose candidates carry unused features through the client and directly,
prints one JSON line, then waits for a line on stdin (the test changes the root's allowlists
meanwhile); phase 2 does the same with the client's view now stale and prints a second line.
"""
import json
import sys

import grpc
from interop_messages import load as load_messages  # beside messages.pb, on PYTHONPATH (PythonInterop)

address, messages_dir, client_dir = sys.argv[1:4]
sys.path.insert(0, client_dir)
import arbor_client  # noqa: E402


messages = load_messages(messages_dir)
ScoreRequest = messages["arbor.v1.ScoreRequest"]
ScoreResponse = messages["arbor.v1.ScoreResponse"]

channel = grpc.insecure_channel(address)
client = arbor_client.ArborRootClient(channel, messages, refresh_interval=3600)
direct = channel.unary_unary("/arbor.v1.Root/Score", request_serializer=lambda m: m.SerializeToString(),
                             response_deserializer=ScoreResponse.FromString)

request = ScoreRequest(surface="home", user_id="u1", request_id="py")
request.context["ctx_hour"].float_value = 13
for i in range(5):
    candidate = request.candidates.add(id="c%d" % i)
    candidate.features["c_ctr"].float_value = 0.25 * (i + 1)
    candidate.features["c_len"].float_value = 7 + i
    candidate.features["c_ids"].int64_list.values.extend([i, i + 1])
    for u in range(20):
        candidate.features["c_unused_%d" % u].float_value = u + i


def scores(response):
    out = []
    for result in sorted(response.results, key=lambda r: r.model):
        if result.status.code != 0:
            raise SystemExit("model %s failed: %s" % (result.model, result.status.message))
        for candidate in result.candidates:
            out.extend(candidate.scores)
    return out


def phase(number):
    trimmed = client.score(request, timeout=10)
    full = direct(request, timeout=10)
    sent = client.trimmed(request, timeout=10)
    print(json.dumps({
        "phase": number,
        "equal": scores(trimmed) == scores(full),
        "scores": len(scores(full)),
        "trimmed_bytes": len(sent.SerializeToString()),
        "full_bytes": len(request.SerializeToString()),
        "view_fetches": client.view_fetches,
        "resent": client.resent,
        "candidate_features_sent": sorted(sent.candidates[0].features.keys()),
    }), flush=True)


phase(1)
sys.stdin.readline()
phase(2)
