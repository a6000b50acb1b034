/// Who a network namespace belongs to, as far as the machine tells: a container (from the cgroup
/// path of its processes, a runtime's bind mount, or CNI state), a systemd unit, or a plain process.
/// A namespace may have several (a podman container and its CNI result); ``DiscoveredNamespace``
/// lists the most specific first.
public enum NamespaceOwner: Hashable, Sendable {
    /// A podman (libpod) container: its 64-hex id, and its name when known.
    case podman(containerID: String, name: String?)
    /// A Docker (moby) container.
    case docker(containerID: String, name: String?)
    /// A Kubernetes pod (kubepods cgroups, or CRI/CNI state): the pod UID when known, its
    /// namespace and name when known (CNI args K8S_POD_NAMESPACE/K8S_POD_NAME), the sandbox id.
    case kubernetes(podUID: String?, namespace: String?, pod: String?, containerID: String?)
    /// A containerd container outside Kubernetes (containerd namespace, id).
    case containerd(namespace: String?, containerID: String)
    /// A CNI attachment recorded by any runtime (the /var/lib/cni/results cache, or vethkit-cni's
    /// reservations): container id, network name, interface name.
    case cni(containerID: String, network: String?, ifname: String?)
    /// A systemd unit (service or scope) whose processes are in the namespace.
    case systemdUnit(String)
    /// None of the above: the first process in it, or the first process holding it open.
    case process(pid: Int32, command: String)
}
