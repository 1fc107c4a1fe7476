"""A real gRPC client (grpcio) making one unary call to an Arbor server, for the server interop tests.

Usage: interop_client.py TARGET METHOD REQUEST_FILE [--timeout SECONDS] [--compression gzip|deflate] [--warm-up]
--warm-up first makes one ListModels call on the same channel, so that connecting (and the
server's first-call costs) do not eat into a short deadline.
Sends the bytes of REQUEST_FILE as the serialized request (no stubs, no re-serialization) and
prints one JSON line: {"code": "OK", "details": "...", "response": "<base64 response bytes>"}.
"""
import argparse
import base64
import json
import sys

import grpc


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("target")
    parser.add_argument("method")
    parser.add_argument("request_file")
    parser.add_argument("--timeout", type=float, default=20.0)
    parser.add_argument("--compression", choices=["gzip", "deflate"])
    parser.add_argument("--warm-up", action="store_true")
    args = parser.parse_args()

    with open(args.request_file, "rb") as f:
        request = f.read()
    compression = {"gzip": grpc.Compression.Gzip, "deflate": grpc.Compression.Deflate}.get(args.compression)
    result = {"code": "OK", "details": "", "response": ""}
    with grpc.insecure_channel(args.target, compression=compression) as channel:
        if args.warm_up:
            channel.unary_unary("/arbor.v1.Leaf/ListModels")(b"", timeout=20.0)
        call = channel.unary_unary(args.method, request_serializer=None, response_deserializer=None)
        try:
            response = call(request, timeout=args.timeout, compression=compression)
            result["response"] = base64.b64encode(response).decode("ascii")
        except grpc.RpcError as error:
            result["code"] = error.code().name
            result["details"] = error.details() or ""
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.exit(main())
