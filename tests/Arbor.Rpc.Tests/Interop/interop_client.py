"""A real gRPC client (grpcio) against an Arbor server, for the server interop tests.

Every mode prints one JSON line (the "cancel" mode also talks on stdin/stdout first).

  call TARGET METHOD REQUEST_FILE [--timeout S] [--compression gzip|deflate] [--warm-up]
      One unary call sending the bytes of REQUEST_FILE as they are (no stubs, no
      re-serialization). --warm-up first makes one ListModels call on the same channel, so that
      connecting does not eat into a short deadline.
      -> {"code": "OK", "details": "...", "response": "<base64 response bytes>"}
  health TARGET PB_DIR [--service NAME]
      grpc.health.v1.Health/Check.
      -> {"code": "OK", "details": "", "status": "SERVING"}
  reflection TARGET PB_DIR
      grpc.reflection.v1alpha: list_services, then file_containing_symbol arbor.v1.Leaf, on one stream.
      -> {"code": "OK", "details": "", "services": [...], "files": [{"name": ..., "package": ..., "services": {name: [methods]}}]}
  cancel TARGET PB_DIR --batches N --batch-size M
      On one channel, N times: starts M Score calls of the "wait" model with .future(), prints
      "STARTED <batch>", reads one line from stdin (the test answers once the server runs them
      all), cancels them. Then makes follow-up calls on the same channel.
      -> {"cancelled": <calls that ended cancelled>, "follow_up": ["OK", ...]}

PB_DIR holds messages.pb (see interop_messages.py).
"""
import argparse
import base64
import json
import sys

import grpc

import interop_messages


def call(args):
    with open(args.request_file, "rb") as f:
        request = f.read()
    compression = {"gzip": grpc.Compression.Gzip, "deflate": grpc.Compression.Deflate}.get(args.compression)
    result = {"code": "OK", "details": "", "response": ""}
    with grpc.insecure_channel(args.target, compression=compression) as channel:
        if args.warm_up:
            channel.unary_unary("/arbor.v1.Leaf/ListModels")(b"", timeout=20.0)
        method = channel.unary_unary(args.method, request_serializer=None, response_deserializer=None)
        try:
            response = method(request, timeout=args.timeout, compression=compression)
            result["response"] = base64.b64encode(response).decode("ascii")
        except grpc.RpcError as error:
            result["code"] = error.code().name
            result["details"] = error.details() or ""
    return result


def health(args):
    messages = interop_messages.load(args.pb_dir)
    request_class = messages["grpc.health.v1.HealthCheckRequest"]
    response_class = messages["grpc.health.v1.HealthCheckResponse"]
    result = {"code": "OK", "details": "", "status": ""}
    with grpc.insecure_channel(args.target) as channel:
        check = channel.unary_unary(
            "/grpc.health.v1.Health/Check",
            request_serializer=request_class.SerializeToString,
            response_deserializer=response_class.FromString,
        )
        try:
            response = check(request_class(service=args.service), timeout=20.0)
            result["status"] = interop_messages.enum_name(response, "status")
        except grpc.RpcError as error:
            result["code"] = error.code().name
            result["details"] = error.details() or ""
    return result


def reflection(args):
    from google.protobuf import descriptor_pb2

    messages = interop_messages.load(args.pb_dir)
    request_class = messages["grpc.reflection.v1alpha.ServerReflectionRequest"]
    response_class = messages["grpc.reflection.v1alpha.ServerReflectionResponse"]
    result = {"code": "OK", "details": "", "services": [], "files": []}
    with grpc.insecure_channel(args.target) as channel:
        info = channel.stream_stream(
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
            request_serializer=request_class.SerializeToString,
            response_deserializer=response_class.FromString,
        )
        requests = [request_class(list_services=""), request_class(file_containing_symbol="arbor.v1.Leaf")]
        try:
            for response in info(iter(requests), timeout=20.0):
                kind = response.WhichOneof("message_response")
                if kind == "list_services_response":
                    result["services"] += [s.name for s in response.list_services_response.service]
                elif kind == "file_descriptor_response":
                    for raw in response.file_descriptor_response.file_descriptor_proto:
                        file = descriptor_pb2.FileDescriptorProto.FromString(raw)
                        result["files"].append({
                            "name": file.name,
                            "package": file.package,
                            "services": {s.name: [m.name for m in s.method] for s in file.service},
                        })
                elif kind == "error_response":
                    result["code"] = "REFLECTION_ERROR"
                    result["details"] = response.error_response.error_message
        except grpc.RpcError as error:
            result["code"] = error.code().name
            result["details"] = error.details() or ""
    return result


def cancel(args):
    messages = interop_messages.load(args.pb_dir)
    request_class = messages["arbor.v1.LeafScoreRequest"]
    response_class = messages["arbor.v1.LeafScoreResponse"]
    cancelled = 0
    follow_up = []
    with grpc.insecure_channel(args.target) as channel:
        score = channel.unary_unary(
            "/arbor.v1.Leaf/Score",
            request_serializer=request_class.SerializeToString,
            response_deserializer=response_class.FromString,
        )
        list_models = channel.unary_unary("/arbor.v1.Leaf/ListModels")
        list_models(b"", timeout=20.0)
        for batch in range(args.batches):
            calls = [score.future(request_class(model="wait"), timeout=60.0) for _ in range(args.batch_size)]
            print(f"STARTED {batch}", flush=True)
            if not sys.stdin.readline():
                raise SystemExit("stdin closed")
            for future in calls:
                future.cancel()
            for future in calls:
                try:
                    future.result(timeout=30.0)
                except grpc.FutureCancelledError:
                    cancelled += 1
                except grpc.RpcError as error:
                    if error.code() == grpc.StatusCode.CANCELLED:
                        cancelled += 1
        for i in range(5):
            try:
                response = score(request_class(model="echo", row_count=i), timeout=20.0)
                follow_up.append("OK" if response.row_count == i else "WRONG")
            except grpc.RpcError as error:
                follow_up.append(error.code().name)
    return {"cancelled": cancelled, "follow_up": follow_up}


def main():
    parser = argparse.ArgumentParser()
    modes = parser.add_subparsers(dest="mode", required=True)
    p = modes.add_parser("call")
    p.add_argument("target")
    p.add_argument("method")
    p.add_argument("request_file")
    p.add_argument("--timeout", type=float, default=20.0)
    p.add_argument("--compression", choices=["gzip", "deflate"])
    p.add_argument("--warm-up", action="store_true")
    p = modes.add_parser("health")
    p.add_argument("target")
    p.add_argument("pb_dir")
    p.add_argument("--service", default="")
    p = modes.add_parser("reflection")
    p.add_argument("target")
    p.add_argument("pb_dir")
    p = modes.add_parser("cancel")
    p.add_argument("target")
    p.add_argument("pb_dir")
    p.add_argument("--batches", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=50)
    args = parser.parse_args()
    result = {"call": call, "health": health, "reflection": reflection, "cancel": cancel}[args.mode](args)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.exit(main())
