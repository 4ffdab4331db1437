#!/usr/bin/env python3
"""Calls one containerd.task.v2.Task RPC on a shim socket and prints the status.

For the RPCs ctr 1.6 cannot send to a non-runc runtime (Update, Checkpoint with options).
Also for requests ctr refuses to build (issue 11: ids, signals and options types it rejects client-side).
Usage: ttrpc_call.py SOCKET NAMESPACE METHOD CONTAINER [JSON]
  Update:     JSON is the OCI LinuxResources to send.
  Checkpoint: JSON is {"path": DIR, "exit": true|false}.
  Create:     JSON is {"bundle": DIR, "rootfs": [{"type", "source", "options": [...]}],
              "config_path": RUNSC_TOML or "options": {"type_url": URL, "value": TEXT}} (all optional).
              "create_options": {"io_uid", "io_gid", "shim_cgroup", "no_pivot_root"} sends a
              containerd.linux.runc.CreateOptions, "runc_options" (same keys plus "binary_name", "root") a
              containerd.runc.v1.Options; "stdout"/"stderr" name the process's output. Prints "pid=N" on success.
  Kill:       JSON is {"signal": N, "all": true|false, "exec_id": ID}.
  State:      no JSON; also prints "status=N" (containerd.v1.types.Status) on success.
  Stats:      no JSON; also prints "type_url=URL" of the metrics on success.
  Start, Delete: JSON is {"exec_id": ID} or nothing. Shutdown: no JSON.
Usage: ttrpc_call.py --start-options JSON  writes the Any `start` reads on stdin (the Create options above).
Prints "code=N message=..." (N = 0 on success) and exits 0 when the call completed.
"""
import json
import socket
import struct
import sys


def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number, data):  # length-delimited field
    return varint(number << 3 | 2) + varint(len(data)) + data


def boolean(number, value):
    return varint(number << 3) + varint(1 if value else 0)


def any_message(type_url, value):
    return field(1, type_url.encode()) + field(2, value)


def number(field_number, value):  # varint field
    return varint(field_number << 3) + varint(value)


def runc_options(argument):
    """The options Any of a Create: runtimeoptions (config_path), a runc type, or a raw one."""
    if "config_path" in argument:  # runtimeoptions.v1.Options{config_path}, as ctr --runtime-config-path sends
        return any_message("runtimeoptions.v1.Options", field(2, argument["config_path"].encode()))
    for key, type_url, numbers in (
            ("create_options", "containerd.linux.runc.CreateOptions",
             {"no_pivot_root": 1, "shim_cgroup": 9, "io_uid": 10, "io_gid": 11}),
            ("runc_options", "containerd.runc.v1.Options",
             {"no_pivot_root": 1, "no_new_keyring": 2, "shim_cgroup": 3, "io_uid": 4, "io_gid": 5,
              "binary_name": 6, "root": 7})):
        if key in argument:
            body = b""
            for name, value in argument[key].items():
                if isinstance(value, str):
                    body += field(numbers[name], value.encode())
                else:
                    body += number(numbers[name], int(value))
            return any_message(type_url, body)
    if "options" in argument:
        options = argument["options"]
        return any_message(options["type_url"], options.get("value", "").encode())
    return None


def read_varint(data, i):
    """The varint at data[i:], and the index after it."""
    value, shift = 0, 0
    while True:
        b = data[i]; i += 1
        value |= (b & 0x7F) << shift; shift += 7
        if not b & 0x80:
            return value, i


def parse(data):
    fields, i = {}, 0
    while i < len(data):
        key, i = read_varint(data, i)
        number, kind = key >> 3, key & 7
        if kind == 0:
            value, i = read_varint(data, i)
        elif kind == 2:
            length, i = read_varint(data, i)
            value = data[i:i + length]; i += length
        elif kind == 5:
            value, i = data[i:i + 4], i + 4
        elif kind == 1:
            value, i = data[i:i + 8], i + 8
        else:
            raise ValueError(f"unsupported wire type {kind}")
        fields[number] = value
    return fields


def main():
    if sys.argv[1] == "--start-options":
        sys.stdout.buffer.write(runc_options(json.loads(sys.argv[2])))
        return
    sock_path, namespace, method, container = sys.argv[1:5]
    argument = json.loads(sys.argv[5]) if len(sys.argv) > 5 and sys.argv[5] else {}
    if method == "Update":
        body = field(1, container.encode()) + field(
            2, any_message("types.containerd.io/opencontainers/runtime-spec/1/LinuxResources",
                           json.dumps(argument).encode()))
    elif method == "Checkpoint":
        options = boolean(1, argument.get("exit", False))
        body = field(1, container.encode()) + field(2, argument["path"].encode()) + field(
            3, any_message("containerd.runc.v1.CheckpointOptions", options))
    elif method == "Create":
        body = field(1, container.encode()) + field(2, argument.get("bundle", "").encode())
        for mount in argument.get("rootfs", []):
            body += field(3, field(1, mount["type"].encode()) + field(2, mount["source"].encode())
                          + b"".join(field(4, o.encode()) for o in mount.get("options", [])))
        for name, number_ in (("stdout", 6), ("stderr", 7)):
            if name in argument:
                body += field(number_, argument[name].encode())
        options = runc_options(argument)
        if options is not None:
            body += field(10, options)
    elif method == "Kill":
        body = (field(1, container.encode()) + field(2, argument.get("exec_id", "").encode())
                + varint(3 << 3) + varint(argument.get("signal", 0)) + boolean(4, argument.get("all", False)))
    elif method in ("State", "Stats", "Shutdown"):
        body = field(1, container.encode())
    elif method in ("Start", "Delete"):
        body = field(1, container.encode()) + field(2, argument.get("exec_id", "").encode())
    else:
        raise SystemExit(f"unsupported method {method}")
    metadata = field(1, b"containerd-namespace-ttrpc") + field(2, namespace.encode())
    request = (field(1, b"containerd.task.v2.Task") + field(2, method.encode()) + field(3, body)
               + field(5, metadata))
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(60)
        s.connect(sock_path.removeprefix("unix://"))
        s.sendall(struct.pack(">IIBB", len(request), 1, 1, 0) + request)
        header = b""
        while len(header) < 10:
            header += s.recv(10 - len(header))
        length = struct.unpack(">I", header[:4])[0]
        payload = b""
        while len(payload) < length:
            payload += s.recv(length - len(payload))
    response = parse(payload)
    status = parse(response.get(1, b""))
    message = status.get(2, b"").decode()
    print(f"code={status.get(1, 0)} message={message}")
    if status.get(1, 0) == 0:
        answer = parse(response.get(2, b""))
        if method == "State":
            print(f"status={answer.get(4, 0)}")
        elif method in ("Create", "Start"):
            print(f"pid={answer.get(1, 0)}")
        elif method == "Stats":
            print(f"type_url={parse(answer.get(1, b'')).get(1, b'').decode()}")


if __name__ == "__main__":
    main()
