import VethKit

/// One node's batch of requests — links created with the index chosen by the caller, link
/// settings, addresses, routes — in the order the kernel takes them, each with its plan line and
/// what undoes it. The only place the engine builds such a batch: the namespace pipeline
/// (FastPath) and Configure fill one through ``Run/addConfiguration(_:to:)`` and send it with
/// ``Run/perform(_:on:)`` as one ``NetworkBatch`` (one sendmsg per chunk, a result per request).
/// Links are named by index: read from the kernel, or chosen for the links the batch creates.
struct NodeBatch {
    struct Entry {
        /// The plan line it stands for (an error names it).
        var line: String
        /// Recorded in the undo log once the kernel took the request.
        var undo: [UndoStep] = []
        /// A veth whose end in the host this request created: (name, bridge?).
        var hostEnd: (name: String, master: String?)? = nil
    }

    let node: String
    /// The node's namespace name (nil for the host), for errors.
    let namespace: String?
    /// Interface indexes by name: read from the kernel, or chosen for links the batch creates.
    var index: [String: Int32]
    private(set) var entries: [Entry] = []
    /// The requests, one per entry.
    private(set) var requests = NetworkBatch()

    init(node: String, namespace: String?, index: [String: Int32] = [:]) {
        self.node = node
        self.namespace = namespace
        self.index = index
    }

    var isEmpty: Bool { entries.isEmpty }

    /// The index of interface `name` (``NotFound`` when the node has none of that name).
    func link(_ name: String) throws -> Int32 {
        guard let i = index[name] else { throw NotFound.link(name, in: namespace) }
        return i
    }

    /// Creates a link of `kind` at interface index `at` (in a namespace the thread has just made,
    /// the caller chooses indexes: the kernel takes it or refuses).
    mutating func addLink(at linkIndex: Int32, _ attrs: LinkAttributes, kind: any LinkKind, line: String,
                          hostEnd: (name: String, master: String?)? = nil) throws {
        var a = attrs
        a.index = linkIndex
        let spec = LinkSpec(a, kind: kind)
        try spec.validate()
        index[attrs.name.rawValue] = linkIndex
        requests.addLink(spec)
        entries.append(Entry(line: line, hostEnd: hostEnd))
    }

    /// Changes link `name`'s settings.
    mutating func setLink(_ name: String, _ change: LinkChange, line: String, undo: [UndoStep] = []) throws {
        requests.setLink(.index(try link(name)), change)
        entries.append(Entry(line: line, undo: undo))
    }

    /// Adds `address` to interface `name` (IPv6 without DAD: usable at once).
    mutating func addAddress(_ address: IPNetwork, to name: String, protocol: AddressProtocol?, line: String, undo: [UndoStep] = []) throws {
        requests.addAddress(address, to: .index(try link(name)), noDAD: !address.isIPv4, protocol: `protocol`)
        entries.append(Entry(line: line, undo: undo))
    }

    /// Adds a declared route (marked as vethkit's), through its dev when it names one.
    mutating func addRoute(_ route: Topology.Route, line: String, undo: [UndoStep] = []) throws {
        let dev = try route.dev.map { LinkReference.index(try link($0)) }
        requests.addRoute(route.kernelRoute(device: dev))
        entries.append(Entry(line: line, undo: undo))
    }

    /// Sends the whole batch on `handle`: a result per entry, in order.
    func send(on handle: NetHandle) throws -> [Result<Void, KernelError>] {
        try handle.perform(requests)
    }
}

extension Run {
    /// The configuration steps of `node` among `steps` into `batch`, in the kernel's order: link
    /// edits and addresses, then routes (their gateways need the addresses). In a node that
    /// existed before, each records what undoes it.
    func addConfiguration(_ steps: [Plan.Step], to batch: inout NodeBatch) throws {
        let node = batch.node
        let existing = !newNodes.contains(node)
        for s in steps {
            let line = plan.describe(s)
            do {
                switch s {
                case .setLink(let n, let name, let e, let old) where n == node:
                    var c = LinkChange()
                    c.up = e.up
                    c.mtu = e.mtu.map(UInt32.init)
                    c.address = e.mac
                    if let m = e.master { c.master = try m.map { .set(.index(try batch.link($0))) } ?? .nomaster }
                    try batch.setLink(name, c, line: line, undo: [.restoreLinkEdit(node: node, name: name, old: old)])
                case .addAddress(let n, let i, let a) where n == node:
                    let undo: [UndoStep] = existing && live.nodes[node]?.interface(i) != nil ? [.removeAddress(node: node, interface: i, address: a)] : []
                    try batch.addAddress(a, to: i, protocol: addressProtocol, line: line, undo: undo)
                default: continue
                }
            } catch { throw fail(line, error) }
        }
        for s in steps {
            guard case .addRoute(let n, let r) = s, n == node else { continue }
            let line = plan.describe(s)
            do { try batch.addRoute(r, line: line, undo: existing ? [.removeRoute(node: node, route: r)] : []) } catch { throw fail(line, error) }
        }
    }

    /// Sends `batch` on `handle`; what the kernel took goes into the undo log (and host ends to
    /// ``pipelineHostEnds``); then throws the first refusal, naming the host end of a veth
    /// refused (where collisions happen).
    func perform(_ batch: NodeBatch, on handle: NetHandle) throws {
        guard !batch.isEmpty else { return }
        let results: [Result<Void, KernelError>]
        do { results = try batch.send(on: handle) } catch { throw fail(batch.entries[0].line, error) }
        var firstFailure: (Int, KernelError)?
        for (k, r) in results.enumerated() {
            let e = batch.entries[k]
            switch r {
            case .success:
                undo.append(contentsOf: e.undo)
                if let h = e.hostEnd {
                    undo.append(.removeHostLink(h.name))
                    pipelineHostEnds.with { $0.append((h.name, h.master)) }
                }
            case .failure(let error):
                if firstFailure == nil { firstFailure = (k, error) }
            }
        }
        if let (k, error) = firstFailure {
            let e = batch.entries[k]
            if let h = e.hostEnd { throw fail(e.line, LinkFailure(node: Topology.hostNode, name: h.name, error: error)) }
            throw fail(e.line, error)
        }
    }
}
