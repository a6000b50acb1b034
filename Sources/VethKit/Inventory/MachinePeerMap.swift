/// One end of a veth anywhere on the machine.
public struct MachineVethEnd: Sendable, Hashable {
    public var namespace: NamespaceID
    public var name: String
    public var index: Int32
    public var isUp: Bool
    public var alias: String?
    public var group: UInt32
    public var master: Int32?

    public init(namespace: NamespaceID, name: String, index: Int32, isUp: Bool, alias: String?, group: UInt32, master: Int32?) {
        self.namespace = namespace
        self.name = name
        self.index = index
        self.isUp = isUp
        self.alias = alias
        self.group = group
        self.master = master
    }
}

/// A veth pair on the machine; `peer` is nil when the other end is in no namespace the scan could
/// read (then `peerIndex` is what the kernel said: IFLA_LINK).
public struct MachineVethPair: Sendable, Hashable {
    public var end: MachineVethEnd
    public var peer: MachineVethEnd?
    public var peerIndex: Int32?

    public init(end: MachineVethEnd, peer: MachineVethEnd?, peerIndex: Int32?) {
        self.end = end
        self.peer = peer
        self.peerIndex = peerIndex
    }
}

/// What one namespace's read found besides veths.
public struct NamespaceReading: Sendable, Hashable {
    public var id: NamespaceID
    /// The alias of its `lo` (a VethKit topology node carries `vethkit:<topology>` there).
    public var loopbackAlias: String?
    /// How many links it has, of every kind.
    public var linkCount: Int

    public init(id: NamespaceID, loopbackAlias: String?, linkCount: Int) {
        self.id = id
        self.loopbackAlias = loopbackAlias
        self.linkCount = linkCount
    }
}

/// Every veth pair on the machine, from one read of each discovered namespace.
public struct MachinePeerMap: Sendable {
    /// Each pair once; an end in the caller's namespace is `end` when either is.
    public var pairs: [MachineVethPair]
    /// One reading per namespace read.
    public var readings: [NamespaceID: NamespaceReading]
    /// Namespaces that could not be read (gone mid-scan, no permission): why.
    public var failures: [NamespaceID: String]

    public init(pairs: [MachineVethPair], readings: [NamespaceID: NamespaceReading], failures: [NamespaceID: String]) {
        self.pairs = pairs
        self.readings = readings
        self.failures = failures
    }
}
