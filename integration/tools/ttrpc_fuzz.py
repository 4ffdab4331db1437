#!/usr/bin/env python3
"""Feeds a live shim's ttrpc socket bad input for a fixed time, over many connections (issue 11).

Usage: ttrpc_fuzz.py SOCKET NAMESPACE SECONDS SEED CONTAINER

Every connection gets one scenario, chosen by a seeded random generator (same seed, same sequence):
  random      random bytes (1...4096)
  oversized   a header announcing 4 MiB + 1 ... 16 MiB - 1 bytes; sometimes the whole payload follows, then a
              valid State request on the same connection, whose answer must come (the server skips the frame)
  malformed   a header whose length has the reserved top byte set (the server closes the connection)
  truncated   a valid request frame cut short anywhere, then the connection closed
  garbage     valid headers carrying random payloads (not a Request message)
  unknown     well-formed Requests naming an unknown service or an unknown Task method
  badpayload  well-formed Requests for read-only Task methods with random bytes as the method's message
  badframe    frames of type data/response/unknown, stream id 0 or even, flags set
  flood       many small frames of the above at once, without reading
Between scenarios, every 25th connection sends a State request for CONTAINER and checks the answer says
RUNNING (StateResponse.status 2): the shim keeps serving while it is being fed.
Prints one line of counts per scenario and a total; exits 1 if a liveness check failed or the socket went away.
"""
import random
import socket
import struct
import sys
import time

from messages import NAMESPACE_KEY, frame_header as header, message, parse

TASK = b"containerd.task.v2.Task"
READ_ONLY = [b"State", b"Pids", b"Stats", b"Connect"]
MAX = 4 << 20


class Fuzzer:
    def __init__(self, path, namespace, container, rng):
        self.path = path
        self.namespace = namespace
        self.container = container
        self.rng = rng
        self.namespace_bytes = namespace.encode()
        self.counts = {}
        self.frames = 0
        self.bytes = 0
        self.liveness_ok = 0
        self.failures = []

    def request(self, service, method, payload):
        """A ttrpc Request (as tools.RawTTRPCRequest, so names need not be UTF-8) carrying PAYLOAD bytes."""
        request = message("tools.RawTTRPCRequest", service=service, method=method, payload=payload)
        request.metadata.add(key=NAMESPACE_KEY.encode(), value=self.namespace_bytes)
        return request.SerializeToString()

    def state_payload(self):
        return message("containerd.task.v2.StateRequest", id=self.container).SerializeToString()

    def connect(self, timeout=2.0):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(self.path)
        return s

    def send(self, s, data, frames=1):
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass  # the server may close a connection it finds malformed; that is its right
        self.frames += frames
        self.bytes += len(data)

    def stream(self):
        return self.rng.randrange(0, 1 << 15) * 2 + 1

    def random_bytes(self, n):
        return self.rng.randbytes(n)

    def frame_of(self, payload, stream=None, kind=1, flags=0):
        return header(len(payload), self.stream() if stream is None else stream, kind, flags) + payload

    def state_request(self):
        return self.request(TASK, b"State", self.state_payload())

    # One connection per scenario.

    def s_random(self, s):
        self.send(s, self.random_bytes(self.rng.randint(1, 4096)), 0)

    def s_oversized(self, s):
        length = self.rng.randint(MAX + 1, (1 << 24) - 1)
        if self.rng.random() < 0.1:
            # The whole oversized payload, then a valid request: the server must skip the one, answer both.
            length = MAX + 1 + self.rng.randrange(4096)
            self.send(s, header(length, 1))
            self.send(s, bytes(length), 0)
            self.send(s, self.frame_of(self.state_request(), stream=3))
            answers = self.read_answers(s, 2, timeout=10)
            if len(answers) != 2 or answers[0][0] != 1 or answers[1][0] != 3:
                self.failures.append(f"oversized then State: answers {[(a[0], len(a[1])) for a in answers]}")
            elif parse("ttrpc.Response", answers[0][1]).status.code != 8:  # RESOURCE_EXHAUSTED
                self.failures.append("oversized frame not answered with ResourceExhausted")
            return
        self.send(s, header(length, self.stream()) + self.random_bytes(self.rng.randint(0, 4096)))

    def s_malformed(self, s):
        length = self.rng.randint(1 << 24, (1 << 32) - 1)
        self.send(s, header(length, self.stream(), self.rng.randrange(256)) + self.random_bytes(64))

    def s_truncated(self, s):
        frame = self.frame_of(self.state_request())
        self.send(s, frame[:self.rng.randrange(1, len(frame))])

    def s_garbage(self, s):
        count = self.rng.randint(1, 8)
        data = b"".join(self.frame_of(self.random_bytes(self.rng.randint(0, 512))) for _ in range(count))
        self.send(s, data, count)

    def s_unknown(self, s):
        if self.rng.random() < 0.5:
            service = self.rng.choice([b"no.such.Service", b"containerd.task.v3.Task", b"", self.random_bytes(12)])
            request = self.request(service, b"State", self.state_payload())
        else:
            method = self.rng.choice([b"Nope", b"state", b"", b"Shutdown2", self.random_bytes(8)])
            request = self.request(TASK, method, self.state_payload())
        self.send(s, self.frame_of(request))
        self.read_answers(s, 1, timeout=1)

    def s_badpayload(self, s):
        request = self.request(TASK, self.rng.choice(READ_ONLY), self.random_bytes(self.rng.randint(0, 256)))
        self.send(s, self.frame_of(request))
        self.read_answers(s, 1, timeout=1)

    def s_badframe(self, s):
        kind = self.rng.choice([0, 2, 3, 4, 255])
        stream = self.rng.choice([0, 2, 4, 1 << 31, self.stream()])
        flags = self.rng.randrange(256)
        payload = self.state_request() if self.rng.random() < 0.5 else self.random_bytes(64)
        self.send(s, header(len(payload), stream, kind, flags) + payload)

    def s_flood(self, s):
        parts = []
        for _ in range(self.rng.randint(20, 200)):
            choice = self.rng.random()
            if choice < 0.4:
                parts.append(self.frame_of(self.random_bytes(self.rng.randint(0, 64))))
            elif choice < 0.8:
                parts.append(self.frame_of(self.request(TASK, self.rng.choice([b"Nope", b"State"]),
                                                        self.random_bytes(16))))
            else:
                parts.append(self.frame_of(self.state_request(), kind=self.rng.choice([0, 2, 3])))
        self.send(s, b"".join(parts), len(parts))

    def read_answers(self, s, count, timeout):
        answers = []
        s.settimeout(timeout)
        data = b""
        try:
            while len(answers) < count:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
                while len(data) >= 10:
                    length, stream = struct.unpack(">II", data[:8])
                    if len(data) < 10 + length:
                        break
                    answers.append((stream, data[10:10 + length]))
                    data = data[10 + length:]
        except (socket.timeout, ConnectionResetError):
            pass
        return answers

    def liveness(self):
        """A State request on a fresh connection must say RUNNING."""
        try:
            s = self.connect(timeout=10)
        except OSError as error:
            self.failures.append(f"connect for State: {error}")
            return
        with s:
            s.sendall(self.frame_of(self.state_request(), stream=1))
            answers = self.read_answers(s, 1, timeout=10)
        if not answers:
            self.failures.append("State got no answer")
            return
        response = parse("ttrpc.Response", answers[0][1])
        state = parse("containerd.task.v2.StateResponse", response.payload)
        if response.status.code != 0 or state.status != 2:  # containerd.v1.types.Status RUNNING
            self.failures.append(f"State answered code={response.status.code} status={state.status}")
        else:
            self.liveness_ok += 1

    def run(self, seconds):
        scenarios = [(name[2:], getattr(self, name)) for name in sorted(dir(self)) if name.startswith("s_")]
        deadline = time.monotonic() + seconds
        connections = 0
        while time.monotonic() < deadline and len(self.failures) < 5:
            connections += 1
            if connections % 25 == 0:
                self.liveness()
                continue
            name, scenario = self.rng.choice(scenarios)
            try:
                s = self.connect()
            except OSError as error:
                self.failures.append(f"connect: {error}")
                break
            with s:
                scenario(s)
            self.counts[name] = self.counts.get(name, 0) + 1
        return connections


def main():
    path, namespace, seconds, seed, container = sys.argv[1:6]
    fuzzer = Fuzzer(path.removeprefix("unix://"), namespace, container, random.Random(int(seed)))
    started = time.monotonic()
    connections = fuzzer.run(float(seconds))
    elapsed = time.monotonic() - started
    for name in sorted(fuzzer.counts):
        print(f"scenario {name}: {fuzzer.counts[name]} connections")
    print(f"total: {connections} connections, {fuzzer.frames} frames, {fuzzer.bytes} bytes, "
          f"{fuzzer.liveness_ok} State checks RUNNING, {elapsed:.1f}s, seed {seed}")
    for failure in fuzzer.failures:
        print(f"FAILURE: {failure}")
    sys.exit(1 if fuzzer.failures else 0)


if __name__ == "__main__":
    main()
