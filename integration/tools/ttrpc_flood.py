#!/usr/bin/env python3
"""Floods a live shim's ttrpc socket with connections that each start a full-size frame and stop (issue 17).

Usage: ttrpc_flood.py SOCKET NAMESPACE CONTAINER SHIM_PID CONNECTIONS HOLD_SECONDS

Each connection sends a Request header announcing 4 MiB and then 4 MiB - 1 bytes of it, the most a peer can make
the server buffer for one frame, and keeps the connection open. While all are held, the shim's resident memory
(VmRSS) is read and a State request for CONTAINER on a fresh connection must say RUNNING; then the connections are
held up to HOLD_SECONDS, counting those the shim closed (its partial-frame timeout). Prints key=value lines:
rss_before_kb, rss_held_kb, rss_growth_kb, accepted (connections whose whole partial frame was written),
state (the State answer), closed_by_shim. Exits 1 when the socket cannot be reached.
"""
import select
import socket
import sys
import time

from messages import frame_header as header, message, parse, ttrpc_request

MAX = 4 << 20


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def read_frame(s, timeout):
    s.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return None
            data += chunk
            if len(data) >= 10:
                length = int.from_bytes(data[:4], "big")
                if len(data) >= 10 + length:
                    return data[10:10 + length]
    except (socket.timeout, ConnectionResetError):
        return None


def state(path, namespace, container):
    request = ttrpc_request(namespace, "State", message("containerd.task.v2.StateRequest", id=container))
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            s.connect(path)
            s.sendall(header(len(request), 1) + request)
            answer = read_frame(s, 10)
    except OSError as error:
        return f"error:{error}"
    if answer is None:
        return "no-answer"
    response = parse("ttrpc.Response", answer)
    status = parse("containerd.task.v2.StateResponse", response.payload).status
    return f"code={response.status.code},status={status}"


def main():
    path, namespace, container, pid, count, hold = sys.argv[1:7]
    path = path.removeprefix("unix://")
    count, hold = int(count), float(hold)
    before = rss_kb(pid)
    body = bytes(MAX - 1)
    sockets, accepted = [], 0
    for _ in range(count):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        try:
            s.connect(path)
        except OSError as error:
            print(f"connect failed: {error}")
            sys.exit(1)
        try:
            s.sendall(header(MAX, 1) + body)
            accepted += 1
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass  # closed by the shim: over a bound
        sockets.append(s)
    time.sleep(1)
    held = rss_kb(pid)
    answer = state(path, namespace, container)
    closed, deadline = 0, time.monotonic() + hold
    open_sockets = list(sockets)
    while open_sockets and time.monotonic() < deadline:
        readable, _, _ = select.select(open_sockets, [], [], 0.5)
        for s in readable:
            try:
                data = s.recv(65536)
            except (ConnectionResetError, OSError):
                data = b""
            if not data:
                closed += 1
                open_sockets.remove(s)
    for s in sockets:
        s.close()
    print(f"rss_before_kb={before}")
    print(f"rss_held_kb={held}")
    print(f"rss_growth_kb={held - before}")
    print(f"accepted={accepted}")
    print(f"state={answer}")
    print(f"closed_by_shim={closed}")


if __name__ == "__main__":
    main()
