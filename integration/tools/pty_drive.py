#!/usr/bin/env python3
"""Drives an interactive command through a pseudo-terminal, as a person at a terminal would.

Usage: pty_drive.py TIMEOUT_SECONDS -- COMMAND...
Reads lines "send TEXT" / "expect TEXT" from stdin as a script: "send" types TEXT plus a newline,
"expect" waits until TEXT appears in the output. Exits with the command's exit status, or 124 on a
timeout (printing what was seen).
"""
import os
import pty
import select
import sys
import time


def main():
    timeout = float(sys.argv[1])
    command = sys.argv[sys.argv.index("--") + 1:]
    steps = [line.rstrip("\n").split(" ", 1) for line in sys.stdin if line.strip()]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    deadline = time.monotonic() + timeout
    seen = b""

    def read_some():
        nonlocal seen
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                return False
            if not chunk:
                return False
            seen += chunk
        return True

    for verb, text in steps:
        if verb == "send":
            os.write(fd, text.encode() + b"\r")
        elif verb == "expect":
            while text.encode() not in seen:
                if time.monotonic() > deadline or not read_some():
                    print(f"pty_drive: did not see {text!r}; output: {seen!r}")
                    os.kill(pid, 9)
                    sys.exit(124)
    while time.monotonic() < deadline:
        if not read_some():
            break
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            sys.stdout.write(seen.decode(errors="replace"))
            sys.exit(os.waitstatus_to_exitcode(status))
    done, status = os.waitpid(pid, os.WNOHANG)
    if not done:
        if time.monotonic() > deadline:
            print(f"pty_drive: timed out; output: {seen!r}")
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            sys.exit(124)
        _, status = os.waitpid(pid, 0)
    sys.stdout.write(seen.decode(errors="replace"))
    sys.exit(os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main()
