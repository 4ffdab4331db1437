"""containerd's shim, ttrpc and introspection messages for the end-to-end tools, as real protobuf classes.

They come from containerd.protoset, the descriptor set `make protos` (scripts/gen-protos.sh) compiles from
containerd's own .proto files, this project's (Sources/*/Protos) and protos/tools.proto, so no tool encodes
protobuf by hand. Needs the protobuf package of the CRI client's virtualenv (`make cri-venv`).
"""
import os
import socket
import struct

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_POOL = descriptor_pool.DescriptorPool()
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "containerd.protoset"), "rb") as _f:
    for _file in descriptor_pb2.FileDescriptorSet.FromString(_f.read()).file:
        _POOL.Add(_file)

TASK_SERVICE = "containerd.task.v2.Task"
NAMESPACE_KEY = "containerd-namespace-ttrpc"


def message(full_name, **fields):
    """A new message of the protobuf type FULL_NAME, e.g. message("containerd.task.v2.KillRequest", id="x")."""
    return message_factory.GetMessageClass(_POOL.FindMessageTypeByName(full_name))(**fields)


def parse(full_name, data):
    return message_factory.GetMessageClass(_POOL.FindMessageTypeByName(full_name)).FromString(data)


def any_of(type_url, value):
    """A google.protobuf.Any with containerd's type URLs (no type.googleapis.com/ prefix); VALUE is a message or
    bytes (e.g. the JSON containerd sends for runtime-spec types)."""
    if not isinstance(value, bytes):
        value = value.SerializeToString()
    return message("google.protobuf.Any", type_url=type_url, value=value)


def ttrpc_request(namespace, method, body, service=TASK_SERVICE):
    """The bytes of a ttrpc.Request for METHOD of SERVICE carrying message BODY, in containerd namespace NAMESPACE."""
    request = message("ttrpc.Request", service=service, method=method, payload=body.SerializeToString())
    request.metadata.add(key=NAMESPACE_KEY, value=namespace)
    return request.SerializeToString()


def frame_header(length, stream, kind=1, flags=0):
    """ttrpc's 10-byte frame header: length, stream id, type (1 request, 2 response), flags."""
    return struct.pack(">IIBB", length, stream, kind, flags)


def read_frame(sock):
    """One ttrpc frame from SOCK: (stream id, type, payload)."""
    header = b""
    while len(header) < 10:
        chunk = sock.recv(10 - len(header))
        if not chunk:
            raise ConnectionError("connection closed in a frame header")
        header += chunk
    length, stream, kind, _ = struct.unpack(">IIBB", header)
    payload = b""
    while len(payload) < length:
        chunk = sock.recv(length - len(payload))
        if not chunk:
            raise ConnectionError("connection closed in a frame")
        payload += chunk
    return stream, kind, payload


def call(path, namespace, method, body, timeout=60):
    """One unary Task RPC over a new connection to the shim socket PATH; the ttrpc.Response."""
    request = ttrpc_request(namespace, method, body)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path.removeprefix("unix://"))
        s.sendall(frame_header(len(request), 1) + request)
        _, _, payload = read_frame(s)
    return parse("ttrpc.Response", payload)
