extension NamespaceInventory {
    /// Where ``NamespaceInventory/discover(options:)`` looks. The defaults are the machine's own
    /// places; tests point `procRoot` (and the directories) at a fake tree.
    public struct Options: Sendable {
        /// The proc filesystem: PID directories, `self`, `thread-self`.
        public var procRoot: String
        /// Directories of named namespaces (iproute2's), in the caller's mount namespace; a
        /// directory that is the same place as an earlier one (/var/run/netns → /run/netns) is
        /// skipped.
        public var runDirectories: [String]
        /// How many processes each namespace lists in ``DiscoveredNamespace/processes``
        /// (the counts are always exact).
        public var processSample: Int
        /// The CNI result cache of libcni (podman, containerd, CRI-O, kubelet's runtimes).
        public var cniResultsDirectory: String?
        /// Data directories of host-local-style IPAM stores: vethkit-cni's netns records
        /// (`NETWORK/.a-*`, see VethKitCNI's NetnsRecord) are read there.
        public var cniNetworksDirectories: [String]
        /// Look for namespaces held only by open file descriptors (/proc/PID/fd): one readlink
        /// per descriptor of every process, the costliest source.
        public var scanFileDescriptors: Bool
        /// The device of nsfs (the same for every namespace); nil: `stat` of
        /// `procRoot/self/ns/net`. Tests with a fake `procRoot` set it.
        public var nsfsDevice: UInt64?
        /// Docker's data root: a docker container's name is read from
        /// `containers/<id>/config.v2.json` there; nil: names not looked up.
        public var dockerDataDirectory: String?

        public init(procRoot: String = "/proc", runDirectories: [String] = ["/run/netns", "/var/run/netns"],
                    processSample: Int = 5, cniResultsDirectory: String? = "/var/lib/cni/results",
                    cniNetworksDirectories: [String] = ["/var/lib/cni/networks"],
                    scanFileDescriptors: Bool = true, nsfsDevice: UInt64? = nil,
                    dockerDataDirectory: String? = "/var/lib/docker") {
            self.procRoot = procRoot
            self.runDirectories = runDirectories
            self.processSample = processSample
            self.cniResultsDirectory = cniResultsDirectory
            self.cniNetworksDirectories = cniNetworksDirectories
            self.scanFileDescriptors = scanFileDescriptors
            self.nsfsDevice = nsfsDevice
            self.dockerDataDirectory = dockerDataDirectory
        }
    }
}
