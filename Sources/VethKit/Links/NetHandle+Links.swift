import CLinuxUAPI
import Glibc
import Netlink

extension NetHandle {
    /// Every link in the namespace, with counters (one RTM_GETLINK dump).
    public func links() throws -> [Link] {
        try socket.dump(Self.getLinkRequest()).compactMap { m in
            m.type == UInt16(RTM_NEWLINK) ? try Link(message: m) : nil
        }
    }

    /// Every link, without counters, for decisions that need names, indexes, groups, aliases,
    /// masters and peers only: ``Link/statistics`` is nil in every result. The request carries
    /// IFLA_EXT_MASK = RTEXT_FILTER_SKIP_STATS (the kernel then leaves out the VF counters, as for
    /// `ip link`); IFLA_STATS64 itself the kernel sends regardless (rtnl_fill_ifinfo fills it
    /// unconditionally, seen on 6.18), so it is skipped while decoding.
    public func linksWithoutStatistics() throws -> [Link] {
        try socket.dump(Self.leanLinkDumpRequest()).compactMap {
            $0.type == UInt16(RTM_NEWLINK) ? try Link(message: $0, statistics: false) : nil
        }
    }

    /// The request ``linksWithoutStatistics()`` sends: RTM_GETLINK with IFLA_EXT_MASK.
    static func leanLinkDumpRequest() -> MessageWriter {
        var m = getLinkRequest()
        m.attribute(UInt16(IFLA_EXT_MASK), uint32: UInt32(RTEXT_FILTER_SKIP_STATS))
        return m
    }

    /// The link called `name` (a single RTM_GETLINK, not a dump); throws ``NotFound``.
    public func link(named name: InterfaceName) throws -> Link {
        var m = Self.getLinkRequest()
        m.attribute(UInt16(IFLA_IFNAME), string: name.rawValue)
        return try getLink(m, describing: name.rawValue)
    }

    /// The link with ifindex `index`; throws ``NotFound``.
    public func link(index: Int32) throws -> Link {
        var m = MessageWriter(type: UInt16(RTM_GETLINK))
        var info = ifinfomsg()
        info.ifi_index = index
        m.append(header: info)
        return try getLink(m, describing: "#\(index)")
    }

    /// The link `reference` names; throws ``NotFound``.
    public func link(_ reference: LinkReference) throws -> Link {
        switch reference {
        case .name(let n): try link(named: n)
        case .index(let i): try link(index: i)
        }
    }

    /// The link called `name`, or nil when there is none.
    public func linkIfPresent(named name: InterfaceName) throws -> Link? {
        do { return try link(named: name) } catch is NotFound { return nil }
    }

    /// The interface index of the link `reference` names (a lookup for a name; none for an index).
    public func index(of reference: LinkReference) throws -> Int32 {
        switch reference {
        case .index(let i): i
        case .name(let n): try link(named: n).index
        }
    }

    /// Creates a link (`ip link add`). The spec is validated before anything is sent; a master
    /// or a parent (``LinkKind/parent``) named by name is looked up first (``NotFound`` when
    /// there is none: nothing is created).
    ///
    /// A veth's peer cannot be brought up in the creating request (the kernel opens the peer before
    /// pairing it and refuses with ENOTCONN; the device itself is opened after pairing, so its IFF_UP
    /// works), so a peer marked `up` is brought up right after, through a handle in its own namespace
    /// (RTM_SETLINK does not honour IFLA_TARGET_NETNSID).
    /// If that second step fails, the new pair is deleted again: nothing is left half-built.
    /// EEXIST names the link that exists (the new name, or a veth's peer name in the peer's
    /// namespace): `File exists (EEXIST): a link named "veth2" exists`.
    public func addLink(_ spec: LinkSpec) throws {
        try spec.validate()
        let resolved = try resolvingMasters(spec)
        var m = MessageWriter(capacity: 256)
        try resolved.encode(into: &m)
        do {
            try socket.request(m)
        } catch let e as KernelError where e.errno == .fileExists {
            throw namingTheExistingLink(e, spec)
        }
        try finishCreation(spec)
    }

    /// `e` with the name that clashed, found by looking the new names up after the refusal
    /// (nothing is looked up on success).
    func namingTheExistingLink(_ e: KernelError, _ spec: LinkSpec) -> KernelError {
        var names = [(spec.attributes.name, spec.attributes.namespace, "")]
        if let veth = spec.kind as? Veth {
            let elsewhere = veth.peer.namespace != nil && veth.peer.namespace !== spec.attributes.namespace
            names.append((veth.peer.name, veth.peer.namespace ?? spec.attributes.namespace, elsewhere ? " in the peer's namespace" : ""))
        }
        for (name, namespace, whereText) in names {
            guard let h = try? handle(for: namespace), (try? h.link(named: name)) != nil else { continue }
            let clash = "a link named \"\(name.rawValue)\" exists\(whereText)"
            return KernelError(errno: e.errno, message: e.message.map { "\($0) (\(clash))" } ?? clash, attributeOffset: e.attributeOffset)
        }
        return e
    }

    /// After a link was created: brings a veth's peer up when its spec says so, or deletes the
    /// new pair again when that fails.
    func finishCreation(_ spec: LinkSpec) throws {
        do {
            try bringUpVethEnds(spec)
        } catch {
            try? handle(for: spec.attributes.namespace).deleteLink(.name(spec.attributes.name))
            throw error
        }
    }

    /// `spec` with its masters (and a veth peer's, in the peer's namespace) and its kind's parent
    /// (in this handle's namespace, where the kernel looks IFLA_LINK up) given by index.
    func resolvingMasters(_ spec: LinkSpec, known: [InterfaceName: Int32] = [:]) throws -> LinkSpec {
        var s = spec
        if case .name(let n)? = s.kind.parent { s.kind.parent = .index(try known[n] ?? index(of: .name(n))) }
        if case .name(let n)? = s.attributes.master {
            let h = try handle(for: s.attributes.namespace)
            s.attributes.master = .index(h === self ? try known[n] ?? index(of: .name(n)) : try h.index(of: .name(n)))
        }
        if var veth = s.kind as? Veth, case .name(let n)? = veth.peer.master {
            let h = try handle(for: veth.peer.namespace ?? s.attributes.namespace)
            veth.peer.master = .index(h === self ? try known[n] ?? index(of: .name(n)) : try h.index(of: .name(n)))
            s.kind = veth
        }
        return s
    }

    /// Brings up the peer of a freshly created veth when its spec marks it `up`.
    func bringUpVethEnds(_ spec: LinkSpec) throws {
        guard let veth = spec.kind as? Veth, veth.peer.up else { return }
        try bringUp(veth.peer.name, in: veth.peer.namespace ?? spec.attributes.namespace)
    }

    /// Sets the link called `name` up, in `namespace` (nil: this handle's).
    public func bringUp(_ name: InterfaceName, in namespace: NetworkNamespace? = nil) throws {
        let handle = try self.handle(for: namespace)
        try handle.setLink(.index(handle.link(named: name).index), LinkChange(up: true))
    }

    /// Applies `change` to `link` (`ip link set`). A link or master named by name is looked up first.
    public func setLink(_ link: LinkReference, _ change: LinkChange) throws {
        try change.validate()
        var c = change
        if case .set(.name(let n))? = c.master { c.master = .set(.index(try index(of: .name(n)))) }
        let index = try self.index(of: link)
        var m = MessageWriter(capacity: 64)
        try c.encode(index: index, into: &m)
        try socket.request(m)
    }

    /// Deletes `link` (for a veth, both ends go); throws ``NotFound`` when there is none.
    public func deleteLink(_ link: LinkReference) throws {
        var m = MessageWriter(capacity: 64)
        Self.encodeDelete(link, into: &m)
        do { try socket.request(m) } catch let e as KernelError where e.errno == .operationNotSupportedByDevice {
            throw NotFound.link(link.description, in: placeName)
        }
    }

    /// Deletes every link in `group` (≠ 0) in one request: the kernel's bulk path, one RCU
    /// grace period for all of them instead of one per link. No link in the group is not an error.
    public func deleteLinks(group: UInt32) throws {
        guard group != 0 else { throw InvalidInput("link group", "0", "the default group cannot be deleted in bulk") }
        do { try socket.request(Self.deleteGroupRequest(group)) } catch let e as KernelError where e.errno == .operationNotSupportedByDevice {}
    }

    /// The request ``deleteLinks(group:)`` sends: RTM_DELLINK, ifindex 0, IFLA_GROUP.
    static func deleteGroupRequest(_ group: UInt32) -> MessageWriter {
        var m = MessageWriter(type: UInt16(RTM_DELLINK))
        m.append(header: ifinfomsg())
        m.attribute(UInt16(IFLA_GROUP), uint32: group)
        return m
    }

    /// The request ``deleteLink(_:)`` sends for a name: RTM_DELLINK, ifindex 0, IFLA_IFNAME.
    static func deleteNamedRequest(_ name: InterfaceName) -> MessageWriter {
        var m = MessageWriter(capacity: 64)
        encodeDelete(.name(name), into: &m)
        return m
    }

    /// RTM_DELLINK by index, or by name (ifindex 0, IFLA_IFNAME), as the next message of `m`.
    static func encodeDelete(_ link: LinkReference, into m: inout MessageWriter) {
        m.begin(type: UInt16(RTM_DELLINK))
        var info = ifinfomsg()
        switch link {
        case .index(let i):
            info.ifi_index = i
            m.append(header: info)
        case .name(let n):
            m.append(header: info)
            m.attribute(UInt16(IFLA_IFNAME), string: n.rawValue)
        }
    }

    static func getLinkRequest() -> MessageWriter {
        var m = MessageWriter(type: UInt16(RTM_GETLINK))
        var info = ifinfomsg()
        info.ifi_family = UInt8(AF_UNSPEC)
        m.append(header: info)
        return m
    }

    private func getLink(_ m: MessageWriter, describing what: String) throws -> Link {
        let replies: [NetlinkMessage]
        do { replies = try socket.request(m) } catch let e as KernelError where e.errno == .operationNotSupportedByDevice {
            throw NotFound.link(what, in: placeName)
        }
        guard let reply = replies.first(where: { $0.type == UInt16(RTM_NEWLINK) }) else {
            throw NotFound.link(what, in: placeName)
        }
        return try Link(message: reply)
    }

    /// Waits until every link called one of `names` is running (IFF_RUNNING: carrier on and the
    /// kernel's link watcher has caught up, so a bridge port forwards and the qdisc passes
    /// packets), polling every 10 ms up to `timeout` seconds. The link watcher batches carrier
    /// changes for up to a second, so a veth pair brought up just now may drop its first packets.
    /// Returns the names still not running at the deadline (empty on success).
    @discardableResult
    public func waitUntilRunning(_ names: [InterfaceName], timeout: Double = 3) throws -> [InterfaceName] {
        let deadline = monotonicSeconds() + timeout
        var pending = Swift.Set(names)
        while true {
            // A few names: one RTM_GETLINK each; many: one dump.
            let current = pending.count <= 16 ? try pending.compactMap { try linkIfPresent(named: $0) } : try linksWithoutStatistics()
            for l in current {
                if let n = try? InterfaceName(l.name), pending.contains(n), l.flags.contains(.running) { pending.remove(n) }
            }
            if pending.isEmpty || monotonicSeconds() > deadline { return pending.sorted() }
            usleep(10_000)
        }
    }
}
