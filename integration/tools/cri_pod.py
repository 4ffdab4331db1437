#!/usr/bin/env python3
"""Runs one shell command in a host-network pod through CRI with a runtime handler and prints its output.

    cri_pod.py ENDPOINT HANDLER NAME COMMAND [LOG-DIR]

Images come from the local store (busybox-local, pause-local); the pod's cgroups go under
/$HARNESS_CRI_CGROUP_ROOT (one name per test run, set by integration/harness.sh).
The pod is stopped and removed before exiting. Exit status: the container's, or 1 when CRI refused.
The client is PyPI's container-runtime-interface-api (Debian 12 has no crictl); `make cri-venv` installs it.
"""

import os
import sys
import tempfile
import time

import grpc
from cri_api.v1 import api_pb2 as pb

from cri_client import container_config, runtime as cri_runtime, sandbox_config


def main(argv):
    if len(argv) < 5:
        sys.exit("usage: cri_pod.py ENDPOINT HANDLER NAME COMMAND [LOG-DIR]")
    endpoint, handler, name, command = argv[1:5]
    log_dir = argv[5] if len(argv) > 5 else tempfile.mkdtemp(prefix="cri-pod.")
    runtime = cri_runtime(endpoint)
    sandbox = sandbox_config(name, name + "-uid", log_dir, f"/{os.environ.get('HARNESS_CRI_CGROUP_ROOT', 'gvisor-cri-test')}/{name}")
    try:
        pod = runtime.RunPodSandbox(
            pb.RunPodSandboxRequest(config=sandbox, runtime_handler=handler), timeout=60).pod_sandbox_id
    except grpc.RpcError as error:
        print(f"RunPodSandbox: {error.details()}", file=sys.stderr)
        return 1
    try:
        container = runtime.CreateContainer(
            pb.CreateContainerRequest(
                pod_sandbox_id=pod,
                sandbox_config=sandbox,
                config=container_config("main", ["sh", "-c", command], "main.log"),
            ),
            timeout=60).container_id
        runtime.StartContainer(pb.StartContainerRequest(container_id=container), timeout=60)
        deadline = time.monotonic() + 60
        while True:
            status = runtime.ContainerStatus(pb.ContainerStatusRequest(container_id=container), timeout=10).status
            if status.state == pb.CONTAINER_EXITED:
                break
            if time.monotonic() > deadline:
                print("container did not exit within 60 s", file=sys.stderr)
                return 1
            time.sleep(0.05)
        with open(os.path.join(log_dir, "main.log")) as log:
            for line in log:
                # CRI log lines: TIMESTAMP STREAM TAG TEXT
                parts = line.rstrip("\n").split(" ", 3)
                print(parts[3] if len(parts) == 4 else "")
        runtime.RemoveContainer(pb.RemoveContainerRequest(container_id=container), timeout=60)
        return status.exit_code
    except grpc.RpcError as error:
        print(f"CRI: {error.details()}", file=sys.stderr)
        return 1
    finally:
        runtime.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=pod), timeout=60)
        runtime.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=pod), timeout=60)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
