"""Replays hostile and malformed input against a running root, as an outside client would.

Usage: security_suite.py GRPC_ADDRESS HTTP_ADDRESS MESSAGES_DIR API_KEY
Each case sends one thing (Debian's python3-grpcio, urllib, or raw HTTP/2 frames on a socket), records
what came back, and then sends a good request that must still succeed. Prints one JSON object:
{"cases": [{"case", "got", "message", "leaks", "next_ok"}...]}. "leaks" lists internal details
(addresses, paths, stack frames) found in what the client was told.
"""
import http.client
import json
import socket
import struct
import sys
import urllib.error
import urllib.request

import grpc
from interop_messages import load as load_messages  # beside messages.pb, on PYTHONPATH (PythonInterop)

grpc_address, http_address, messages_dir, api_key = sys.argv[1:5]
LEAK_MARKS = ["127.0.0.1", "/tmp/", "/work/", "Exception", "   at ", "Traceback", ".cs:line"]


messages = load_messages(messages_dir)
ScoreRequest = messages["arbor.v1.ScoreRequest"]
ScoreResponse = messages["arbor.v1.ScoreResponse"]
channel = grpc.insecure_channel(grpc_address, options=[("grpc.max_send_message_length", 64 * 1024 * 1024)])
score = channel.unary_unary("/arbor.v1.Root/Score", request_serializer=lambda m: m.SerializeToString(),
                            response_deserializer=ScoreResponse.FromString)
unknown_method = channel.unary_unary("/arbor.v1.Root/NoSuchMethod", request_serializer=lambda m: m.SerializeToString(),
                                     response_deserializer=ScoreResponse.FromString)
KEY = (("authorization", "Bearer " + api_key),)


def good_request(candidates=5):
    request = ScoreRequest(surface="home", user_id="u1", request_id="py-security")
    for i in range(candidates):
        request.candidates.add(id=f"c{i}")
    request.context["ctx_hour"].float_value = 13
    return request


def leaks(text):
    return [mark for mark in LEAK_MARKS if mark in (text or "")]


def call(request, metadata=KEY, method=None, timeout=20):
    try:
        response = (method or score)(request, timeout=timeout, metadata=metadata)
        return "OK", "", response
    except grpc.RpcError as e:
        return e.code().name, e.details() or "", None


def next_ok():
    code, _, response = call(good_request())
    return code == "OK" and all(r.status.code == 0 for r in response.results)


cases = []


def record(case, got, message=""):
    cases.append({"case": case, "got": got, "message": message[:300], "leaks": leaks(message), "next_ok": next_ok()})


def grpc_case(case, request, metadata=KEY, method=None, check=None, timeout=20):
    code, message, response = call(request, metadata, method, timeout)
    if code == "OK" and check is not None:
        code = check(response)
    record(case, code, message)


def with_context(value_setter):
    request = good_request()
    value_setter(request.context["ctx_hour"])
    return request


# --- authentication
grpc_case("no API key", good_request(), metadata=())
grpc_case("wrong API key", good_request(), metadata=(("authorization", "Bearer not-the-key"),))
grpc_case("API key as x-api-key", good_request(), metadata=(("x-api-key", api_key),))
# --- values a client sends
grpc_case("NaN feature value", with_context(lambda v: setattr(v, "float_value", float("nan"))))
grpc_case("infinite feature value", with_context(lambda v: setattr(v, "float_value", float("inf"))))
grpc_case("int64 for a float feature", with_context(lambda v: setattr(v, "int64_value", 13)))
grpc_case("FeatureValue with no kind", with_context(lambda v: v.Clear()))
unknown = good_request()
unknown.context["no_such_feature"].float_value = 1
grpc_case("feature name not in the registry", unknown)
duplicates = good_request(0)
for i in (0, 1, 0, 2, 1):
    duplicates.candidates.add(id=f"c{i}")
grpc_case("duplicate candidate ids", duplicates,
          check=lambda r: "OK" if all(len(m.candidates) == 5 for m in r.results) else "WRONG_ENTRIES")
# --- sizes and amplification
repeated = good_request()
repeated.ClearField("surface")
for _ in range(100):
    repeated.models.add(name="m_a")
grpc_case("one model named 100 times", repeated, check=lambda r: "OK" if len(r.results) == 1 else f"{len(r.results)}_RESULTS")
too_many = good_request()
too_many.ClearField("surface")
for i in range(40):
    too_many.models.add(name=f"model_{i}")
grpc_case("40 distinct models", too_many)
long_id = good_request()
long_id.request_id = "r" * (4 * 1024 * 1024)
grpc_case("4 MiB request_id", long_id)
grpc_case("more candidates than the limit", good_request(10_000))
huge = good_request()
huge.candidates[0].features["c_len"].float_value = 1
huge.request_id = "x" * (17 * 1024 * 1024)
grpc_case("17 MiB message", huge)
surface = good_request()
surface.surface = "s" * (1024 * 1024)
code, message, _ = call(surface)
record("1 MiB unknown surface name", code if len(message) <= 2048 else f"{code}_MESSAGE_{len(message)}_BYTES", message)
grpc_case("unknown method", good_request(), method=unknown_method)
grpc_case("deadline of 1e8 seconds", good_request(), timeout=1e8)


# --- the JSON endpoint
def post(path, body, headers):
    request = urllib.request.Request(f"http://{http_address}{path}", data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return str(response.status), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return str(e.code), e.read().decode("utf-8", "replace")
    except (urllib.error.URLError, ConnectionError) as e:
        return "CONNECTION_" + type(e).__name__, ""


JSON = {"content-type": "application/json", "authorization": "Bearer " + api_key}
body = json.dumps({"surface": "home", "userId": "u1", "candidates": [{"id": "c0"}]}).encode()
for case, path, payload, headers in [
    ("JSON: no API key", "/v1/score", body, {"content-type": "application/json"}),
    ("JSON: good request", "/v1/score", body, JSON),
    ("JSON: malformed body", "/v1/score", b'{"surface": "home", "candidates": [', JSON),
    ("JSON: NaN value", "/v1/score", b'{"surface": "home", "userId": "u1", "candidates": [{"id": "c0"}], "context": {"ctx_hour": {"floatValue": "NaN"}}}', JSON),
    ("JSON: admin path on the public port", "/admin/config", b"", JSON),
]:
    status, text = post(path, payload, headers)
    record(case, status, text)


def declared_too_large():
    """A body declared at 20 MiB (over the 16 MiB message limit): answered before it is sent."""
    host, port = http_address.rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.putrequest("POST", "/v1/score")
        for name, value in JSON.items():
            connection.putheader(name, value)
        connection.putheader("content-length", str(20 * 1024 * 1024))
        connection.endheaders()
        connection.send(b'{"surface": "' + b"s" * 65536)
        response = connection.getresponse()
        return str(response.status), response.read().decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as e:
        return "CONNECTION_" + type(e).__name__, ""
    finally:
        connection.close()


record("JSON: body declared at 20 MiB", *declared_too_large())


# --- malformed HTTP/2 on the gRPC port (raw frames)
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def frame(kind, flags, stream, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def raw(data):
    host, port = grpc_address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as s:
        try:
            s.sendall(data)
        except OSError:
            return "closed"
        received = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                received += chunk
        except socket.timeout:
            return "no answer (open)"
        except OSError:
            pass
    # Walk the frames the server sent: a GOAWAY says why it closed.
    offset = 0
    while offset + 9 <= len(received):
        length = int.from_bytes(received[offset:offset + 3], "big")
        kind = received[offset + 3]
        if kind == 7 and offset + 9 + 8 <= len(received):
            code = int.from_bytes(received[offset + 9 + 4:offset + 9 + 8], "big")
            return f"GOAWAY {code}"
        offset += 9 + length
    return "closed"


SETTINGS = frame(4, 0, 0, b"")
record("HTTP/2: garbage instead of the preface", raw(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + b"garbage" * 8))
record("HTTP/2: HEADERS on stream 0", raw(PREFACE + SETTINGS + frame(1, 4, 0, b"\x82")))
record("HTTP/2: frame larger than SETTINGS_MAX_FRAME_SIZE", raw(PREFACE + SETTINGS + frame(0, 0, 1, b"\x00" * (16384 + 1))))
record("HTTP/2: WINDOW_UPDATE of 0 on the connection", raw(PREFACE + SETTINGS + frame(8, 0, 0, b"\x00\x00\x00\x00")))
record("HTTP/2: undecodable HPACK block", raw(PREFACE + SETTINGS + frame(1, 5, 1, b"\xff\xff\xff\xff\xff\xff")))

print(json.dumps({"cases": cases}))
