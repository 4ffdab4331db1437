#!/usr/bin/env python3
"""Asks containerd (2.x) for a runtime's RuntimeInfo the way its CRI plugin does: the introspection service's
PluginInfo for plugin io.containerd.runtime.v2/task with a RuntimeRequest (containerd
internal/cri/server/service.go `introspectRuntimeFeatures`). containerd runs `<shim> -info` with the runtime
options on stdin and decodes what the shim prints; this prints containerd's re-encoded answer as JSON.

Usage: runtime_info.py CONTAINERD_SOCKET RUNTIME [RUNSC_TOML]
Prints {"name", "version", "revision", "options_type_url", "features"} and exits 0, or the gRPC error and 1.
"""
import json
import os
import sys

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ttrpc_call import any_message, field, parse  # noqa: E402


def main():
    sock, runtime = sys.argv[1:3]
    config_path = sys.argv[3] if len(sys.argv) > 3 else ""
    runtime_request = field(1, runtime.encode())
    if config_path:
        options = field(1, b"io.containerd.runsc.v1.options") + field(2, config_path.encode())
        runtime_request += field(2, any_message("runtimeoptions.v1.Options", options))
    request = field(1, b"io.containerd.runtime.v2") + field(2, b"task") + field(
        3, any_message("containerd.types.RuntimeRequest", runtime_request))
    channel = grpc.insecure_channel("unix://" + sock)
    call = channel.unary_unary("/containerd.services.introspection.v1.Introspection/PluginInfo",
                               request_serializer=None, response_deserializer=None)
    try:
        response = call(request, timeout=30)
    except grpc.RpcError as error:
        print(f"PluginInfo failed: {error.code()} {error.details()}")
        return 1
    extra = parse(parse(response)[2])  # PluginInfoResponse.extra: Any(RuntimeInfo)
    info = parse(extra[2])
    version = parse(info.get(2, b""))
    options = parse(info[3]) if 3 in info else {}
    features = parse(info[4])
    print(json.dumps({
        "extra_type_url": extra[1].decode(),
        "name": info[1].decode(),
        "version": version.get(1, b"").decode(),
        "revision": version.get(2, b"").decode(),
        "options_type_url": options.get(1, b"").decode(),
        "features_type_url": features[1].decode(),
        "features": json.loads(features[2]),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
