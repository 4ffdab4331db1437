#!/usr/bin/env python3
"""A few CRI calls for the fault tests, one per invocation (Debian 12 has no crictl).

    cri_ctl.py ENDPOINT run-pod NAME HANDLER LOG-DIR COMMAND [COMMAND...]
        host-network pod NAME with one busybox container per COMMAND (sh -c), started;
        prints "POD-ID CONTAINER-ID..."
    cri_ctl.py ENDPOINT status CONTAINER-ID      prints "STATE EXIT-CODE" (RUNNING, EXITED, ...)
    cri_ctl.py ENDPOINT list                     prints "CONTAINER-ID STATE" per container
    cri_ctl.py ENDPOINT exec CONTAINER-ID COMMAND
        ExecSync of sh -c COMMAND: prints its stdout, exits with its exit code
    cri_ctl.py ENDPOINT wait CONTAINER-ID STATE SECONDS   polls ContainerStatus until STATE
    cri_ctl.py ENDPOINT remove-pod POD-ID        StopPodSandbox + RemovePodSandbox

Images come from the local store (busybox-local, pause-local); pod cgroups go under /gvisor-rl-cri.
Exit status 1 and the CRI message on stderr when CRI refuses. Client: PyPI's container-runtime-interface-api.
"""

import sys
import time

import grpc
from cri_api.v1 import api_pb2 as pb

from cri_client import container_config, runtime, sandbox_config

STATES = {pb.CONTAINER_CREATED: "CREATED", pb.CONTAINER_RUNNING: "RUNNING", pb.CONTAINER_EXITED: "EXITED",
          pb.CONTAINER_UNKNOWN: "UNKNOWN"}


def run_pod(cri, name, handler, log_dir, commands):
    sandbox = sandbox_config(name, name + "-uid", log_dir, "/gvisor-rl-cri/" + name)
    pod = cri.RunPodSandbox(pb.RunPodSandboxRequest(config=sandbox, runtime_handler=handler),
                                timeout=120).pod_sandbox_id
    ids = [pod]
    for index, command in enumerate(commands):
        container = cri.CreateContainer(
            pb.CreateContainerRequest(
                pod_sandbox_id=pod, sandbox_config=sandbox,
                config=container_config(f"c{index}", ["sh", "-c", command], f"c{index}.log")),
            timeout=120).container_id
        cri.StartContainer(pb.StartContainerRequest(container_id=container), timeout=120)
        ids.append(container)
    print(" ".join(ids))


def status(cri, container):
    s = cri.ContainerStatus(pb.ContainerStatusRequest(container_id=container), timeout=30).status
    return STATES.get(s.state, str(s.state)), s.exit_code


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    cri = runtime(argv[1])
    command, args = argv[2], argv[3:]
    try:
        if command == "run-pod":
            run_pod(cri, args[0], args[1], args[2], args[3:])
        elif command == "status":
            print("%s %d" % status(cri, args[0]))
        elif command == "list":
            for c in cri.ListContainers(pb.ListContainersRequest(), timeout=30).containers:
                print(c.id, STATES.get(c.state, str(c.state)))
        elif command == "exec":
            r = cri.ExecSync(pb.ExecSyncRequest(container_id=args[0], cmd=["sh", "-c", args[1]], timeout=60),
                                 timeout=90)
            sys.stdout.write(r.stdout.decode())
            sys.stderr.write(r.stderr.decode())
            return r.exit_code
        elif command == "wait":
            deadline = time.monotonic() + float(args[2])
            while True:
                state, code = status(cri, args[0])
                if state == args[1]:
                    print(f"{state} {code}")
                    return 0
                if time.monotonic() > deadline:
                    print(f"still {state} {code} after {args[2]} s", file=sys.stderr)
                    return 1
                time.sleep(0.1)
        elif command == "remove-pod":
            cri.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=args[0]), timeout=120)
            cri.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=args[0]), timeout=120)
        else:
            sys.exit(f"unknown command {command}\n{__doc__}")
    except grpc.RpcError as error:
        print(f"CRI {command}: {error.details()}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
