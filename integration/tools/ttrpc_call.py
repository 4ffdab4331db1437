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
import sys

from messages import any_of, call, message

# The runc option types a Create may carry; containerd's type URL for each is the message's full name.
RUNC_OPTION_TYPES = {"create_options": "containerd.linux.runc.CreateOptions",
                     "runc_options": "containerd.runc.v1.Options"}


def runc_options(argument):
    """The options Any of a Create: runtimeoptions (config_path), a runc type, or a raw one."""
    if "config_path" in argument:  # runtimeoptions.v1.Options{config_path}, as ctr --runtime-config-path sends
        return any_of("runtimeoptions.v1.Options",
                      message("tools.RuntimeOptions", config_path=argument["config_path"]))
    for key, full_name in RUNC_OPTION_TYPES.items():
        if key in argument:
            return any_of(full_name, message(full_name, **argument[key]))
    if "options" in argument:
        options = argument["options"]
        return any_of(options["type_url"], options.get("value", "").encode())
    return None


def request_body(method, container, argument):
    """The Task request message for METHOD."""
    if method == "Update":
        resources = any_of("types.containerd.io/opencontainers/runtime-spec/1/LinuxResources",
                           json.dumps(argument).encode())
        return message("containerd.task.v2.UpdateTaskRequest", id=container, resources=resources)
    if method == "Checkpoint":
        options = any_of("containerd.runc.v1.CheckpointOptions",
                         message("containerd.runc.v1.CheckpointOptions", exit=argument.get("exit", False)))
        return message("containerd.task.v2.CheckpointTaskRequest", id=container, path=argument["path"],
                       options=options)
    if method == "Create":
        body = message("containerd.task.v2.CreateTaskRequest", id=container, bundle=argument.get("bundle", ""),
                       stdout=argument.get("stdout", ""), stderr=argument.get("stderr", ""))
        for mount in argument.get("rootfs", []):
            body.rootfs.add(type=mount["type"], source=mount["source"], options=mount.get("options", []))
        options = runc_options(argument)
        if options is not None:
            body.options.CopyFrom(options)
        return body
    if method == "Kill":
        return message("containerd.task.v2.KillRequest", id=container, exec_id=argument.get("exec_id", ""),
                       signal=argument.get("signal", 0), all=argument.get("all", False))
    if method in ("State", "Start", "Delete"):
        return message(f"containerd.task.v2.{method}Request", id=container, exec_id=argument.get("exec_id", ""))
    if method in ("Stats", "Shutdown"):
        return message(f"containerd.task.v2.{method}Request", id=container)
    raise SystemExit(f"unsupported method {method}")


RESPONSE_TYPES = {"State": "containerd.task.v2.StateResponse", "Create": "containerd.task.v2.CreateTaskResponse",
                  "Start": "containerd.task.v2.StartResponse", "Stats": "containerd.task.v2.StatsResponse"}


def main():
    if sys.argv[1] == "--start-options":
        sys.stdout.buffer.write(runc_options(json.loads(sys.argv[2])).SerializeToString())
        return
    sock_path, namespace, method, container = sys.argv[1:5]
    argument = json.loads(sys.argv[5]) if len(sys.argv) > 5 and sys.argv[5] else {}
    response = call(sock_path, namespace, method, request_body(method, container, argument))
    print(f"code={response.status.code} message={response.status.message}")
    if response.status.code == 0 and method in RESPONSE_TYPES:
        answer = message(RESPONSE_TYPES[method])
        answer.ParseFromString(response.payload)
        if method == "State":
            print(f"status={answer.status}")
        elif method in ("Create", "Start"):
            print(f"pid={answer.pid}")
        elif method == "Stats":
            print(f"type_url={answer.stats.type_url}")


if __name__ == "__main__":
    main()
