"""A real gRPC server (grpcio) serving arbor.v1.Leaf, for Arbor's client interop tests.

Behaviour is chosen by the request's model name, mirroring the C# TestLeafService:
  fail  -> NOT_FOUND with a non-ASCII message
  wait  -> waits until the call's deadline passes (or the client goes away)
  gzip  -> echo, response compressed with gzip
  big   -> echo plus row_count * 64 zero scores
  other -> echo: score of row i = i + sum of the row's float column values (float32 arithmetic)

Usage: interop_server.py PB_DIR MAX_RECEIVE_BYTES
PB_DIR holds messages.pb (see interop_messages.py).
Prints "LISTENING <port>" once serving; exits when stdin closes.
"""
import struct
import sys
import time
from concurrent import futures

import grpc

import interop_messages

MESSAGES = interop_messages.load(sys.argv[1])
LeafScoreRequest = MESSAGES["arbor.v1.LeafScoreRequest"]
LeafScoreResponse = MESSAGES["arbor.v1.LeafScoreResponse"]
ListModelsRequest = MESSAGES["arbor.v1.ListModelsRequest"]
ListModelsResponse = MESSAGES["arbor.v1.ListModelsResponse"]
ServedModel = MESSAGES["arbor.v1.ServedModel"]
ServedVersion = MESSAGES["arbor.v1.ServedVersion"]
AVAILABLE = interop_messages.enum_value(ServedVersion, "state", "VERSION_STATE_AVAILABLE")

NON_ASCII = "modèle inconnu: «☃» 模型 % done"


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def echo(request):
    response = LeafScoreResponse(
        model=request.model,
        version=request.version or "7",
        row_count=request.row_count,
        outputs=["p_click"],
        unused_features=len(request.columns),
        missing_features=len(request.shared_columns),
    )
    for row in range(request.row_count):
        score = f32(float(row))
        for column in request.columns:
            if column.WhichOneof("values") == "floats" and row < len(column.floats.values):
                score = f32(score + column.floats.values[row])
        response.scores.append(score)
    return response


def score(request, context):
    model = request.model
    if model == "fail":
        context.abort(grpc.StatusCode.NOT_FOUND, NON_ASCII)
    if model == "wait":
        # Bounded: the tests always send a deadline; never wait more than 30 s regardless.
        give_up = time.monotonic() + 30
        while context.is_active() and time.monotonic() < give_up:
            time.sleep(0.01)
        return LeafScoreResponse()
    response = echo(request)
    if model in ("gzip", "big"):
        response.scores.extend([0.0] * (request.row_count * 64))
    if model == "gzip":
        context.set_compression(grpc.Compression.Gzip)
    return response


def list_models(request, context):
    return ListModelsResponse(
        partition="homefeed",
        models=[
            ServedModel(
                name="homefeed_ctr",
                default_version="7",
                versions=[
                    ServedVersion(version="6", state=AVAILABLE, outputs=["p_click"]),
                    ServedVersion(version="7", state=AVAILABLE, outputs=["p_click", "p_save"]),
                ],
            )
        ],
    )


def main():
    max_receive = int(sys.argv[2])
    handler = grpc.method_handlers_generic_handler(
        "arbor.v1.Leaf",
        {
            "Score": grpc.unary_unary_rpc_method_handler(
                score,
                request_deserializer=LeafScoreRequest.FromString,
                response_serializer=LeafScoreResponse.SerializeToString,
            ),
            "ListModels": grpc.unary_unary_rpc_method_handler(
                list_models,
                request_deserializer=ListModelsRequest.FromString,
                response_serializer=ListModelsResponse.SerializeToString,
            ),
        },
    )
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=8),
        handlers=[handler],
        options=[("grpc.max_receive_message_length", max_receive)],
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(f"LISTENING {port}", flush=True)
    sys.stdin.read()
    server.stop(0)


if __name__ == "__main__":
    main()
