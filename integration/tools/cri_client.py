"""What every CRI test tool here builds the same way: the runtime client and host-network pod and container configs.

The client is PyPI's container-runtime-interface-api (`make cri-venv`; Debian 12 has no crictl). Images are the
locally built busybox-local and pause-local (integration/harness.sh, scripts/oci-image.py busybox); pods use the host network,
because this machine has no CNI.
"""

import grpc
from cri_api.v1 import api_pb2 as pb
from cri_api.v1 import api_pb2_grpc as rpc

IMAGE = "docker.io/library/busybox-local:latest"


def runtime(endpoint):
    """The RuntimeService stub at ENDPOINT (unix://PATH)."""
    return rpc.RuntimeServiceStub(grpc.insecure_channel(endpoint))


def sandbox_config(name, uid, log_dir, cgroup_parent, annotations=None, share_pid=False):
    """A host-network pod in namespace default."""
    namespaces = pb.NamespaceOption(network=pb.NODE, pid=pb.POD if share_pid else pb.CONTAINER)
    return pb.PodSandboxConfig(
        metadata=pb.PodSandboxMetadata(name=name, uid=uid, namespace="default", attempt=0),
        log_directory=log_dir,
        annotations=annotations or {},
        linux=pb.LinuxPodSandboxConfig(
            cgroup_parent=cgroup_parent,
            security_context=pb.LinuxSandboxSecurityContext(namespace_options=namespaces)))


def container_config(name, command, log_path, attempt=0, mounts=(), memory_limit=0):
    """A busybox container running COMMAND (argv); MOUNTS are (host path, container path) pairs."""
    return pb.ContainerConfig(
        metadata=pb.ContainerMetadata(name=name, attempt=attempt),
        image=pb.ImageSpec(image=IMAGE),
        command=command,
        log_path=log_path,
        mounts=[pb.Mount(host_path=h, container_path=c) for h, c in mounts],
        linux=pb.LinuxContainerConfig(resources=pb.LinuxContainerResources(memory_limit_in_bytes=memory_limit)))
