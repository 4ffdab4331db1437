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
from messages import any_of, message, parse  # noqa: E402


def main():
    sock, runtime = sys.argv[1:3]
    config_path = sys.argv[3] if len(sys.argv) > 3 else ""
    runtime_request = message("tools.RuntimeRequest", runtime_path=runtime)
    if config_path:
        options = message("tools.RuntimeOptions", type_url="io.containerd.runsc.v1.options", config_path=config_path)
        runtime_request.options.CopyFrom(any_of("runtimeoptions.v1.Options", options))
    request = message("tools.PluginInfoRequest", type="io.containerd.runtime.v2", id="task",
                      options=any_of("containerd.types.RuntimeRequest", runtime_request))
    channel = grpc.insecure_channel("unix://" + sock)
    call = channel.unary_unary("/containerd.services.introspection.v1.Introspection/PluginInfo",
                               request_serializer=lambda m: m.SerializeToString(),
                               response_deserializer=lambda data: parse("tools.PluginInfoResponse", data))
    try:
        response = call(request, timeout=30)
    except grpc.RpcError as error:
        print(f"PluginInfo failed: {error.code()} {error.details()}")
        return 1
    info = parse("containerd.types.RuntimeInfo", response.extra.value)
    print(json.dumps({
        "extra_type_url": response.extra.type_url,
        "name": info.name,
        "version": info.version.version,
        "revision": info.version.revision,
        "options_type_url": info.options.type_url,
        "features_type_url": info.features.type_url,
        "features": json.loads(info.features.value),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
