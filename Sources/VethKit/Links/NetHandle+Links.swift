import CLinuxUAPI
import Glibc
import Netlink

extension NetHandle {
    /// Every link in the namespace (one RTM_GETLINK dump).
    public func links() throws -> [Link] {
        try socket.dump(Self.getLinkRequest()).compactMap { m in
            m.type == UInt16(RTM_NEWLINK) ? try Link(message: m) : nil
        }
    }

    /// The link called `name` (a single RTM_GETLINK, not a dump); throws ``NotFound``.
    public func link(named name: String) throws -> Link {
        try InterfaceName.validate(name)
        var m = Self.getLinkRequest()
        m.attribute(UInt16(IFLA_IFNAME), string: name)
        return try getLink(m, describing: name)
    }

    /// The link with ifindex `index`; throws ``NotFound``.
    public func link(index: Int32) throws -> Link {
        var m = MessageWriter(type: UInt16(RTM_GETLINK))
        var info = ifinfomsg()
        info.ifi_index = index
        m.append(header: info)
        return try getLink(m, describing: "#\(index)")
    }

    /// The link called `name`, or nil when there is none.
    public func linkIfPresent(named name: String) throws -> Link? {
        do { return try link(named: name) } catch is NotFound { return nil }
    }

    /// Creates a link (`ip link add`). The spec is validated before anything is sent.
    ///
    /// A veth's peer cannot be brought up in the creating request (the kernel opens the peer before
    /// pairing it and refuses with ENOTCONN; the device itself is opened after pairing, so its IFF_UP
    /// works), so a peer marked `up` is brought up right after, through a handle in its own namespace
    /// (RTM_SETLINK does not honour IFLA_TARGET_NETNSID).
    /// If that second step fails, the new pair is deleted again: nothing is left half-built.
    public func addLink(_ spec: LinkSpec) throws {
        try spec.validate()
        try socket.request(spec.request())
        do {
            try bringUpVethEnds(spec)
        } catch {
            try? handle(for: spec.attributes.namespace).deleteLink(named: spec.attributes.name.rawValue)
            throw error
        }
    }

    /// Brings up the peer of a freshly created veth when its spec marks it `up`.
    func bringUpVethEnds(_ spec: LinkSpec) throws {
        guard let veth = spec.kind as? Veth, veth.peer.up else { return }
        try bringUp(veth.peer.name, in: veth.peer.namespace ?? spec.attributes.namespace)
    }

    /// Sets the link called `name` up, in `namespace` (nil: this handle's).
    public func bringUp(_ name: InterfaceName, in namespace: NetworkNamespace? = nil) throws {
        let handle = try self.handle(for: namespace)
        try handle.setLink(index: handle.link(named: name.rawValue).index, LinkChange(up: true))
    }

    /// Creates many links, `perSend` requests per sendmsg; one result per spec, in order.
    public func addLinks(_ specs: [LinkSpec], perSend: Int = 64) throws -> [Result<Void, KernelError>] {
        for s in specs { try s.validate() }
        var results = try socket.requestBatch(specs.map { try $0.request() }, perSend: perSend)
        for (i, s) in specs.enumerated() {
            guard case .success = results[i] else { continue }
            do {
                try bringUpVethEnds(s)
            } catch {
                try? handle(for: s.attributes.namespace).deleteLink(named: s.attributes.name.rawValue)
                results[i] = .failure(error as? KernelError ?? KernelError(errno: .invalid, message: "\(error)"))
            }
        }
        return results
    }

    /// Applies `change` to the link called `name` (`ip link set`).
    public func setLink(_ name: String, _ change: LinkChange) throws {
        try change.validate()
        let index = try link(named: name).index
        try setLink(index: index, change)
    }

    /// Applies `change` to the link with `index`.
    public func setLink(index: Int32, _ change: LinkChange) throws {
        try change.validate()
        try socket.request(change.request(index: index))
    }

    /// Deletes the link called `name` (for a veth, both ends go).
    public func deleteLink(named name: String) throws {
        try InterfaceName.validate(name)
        do { try socket.request(Self.deleteNamedRequest(name)) } catch let e as KernelError where e.errno == .noSuchDevice {
            throw NotFound.link(name, in: placeName)
        }
    }

    /// Deletes the link with `index`.
    public func deleteLink(index: Int32) throws {
        var m = MessageWriter(type: UInt16(RTM_DELLINK))
        var info = ifinfomsg()
        info.ifi_index = index
        m.append(header: info)
        try socket.request(m)
    }

    /// Deletes every link in `group` (≠ 0) in one request: the kernel's bulk path, one RCU
    /// grace period for all of them instead of one per link. No link in the group is not an error.
    public func deleteLinks(group: UInt32) throws {
        guard group != 0 else { throw InvalidInput("link group", "0", "the default group cannot be deleted in bulk") }
        do { try socket.request(Self.deleteGroupRequest(group)) } catch let e as KernelError where e.errno == .noSuchDevice {}
    }

    /// The request ``deleteLinks(group:)`` sends: RTM_DELLINK, ifindex 0, IFLA_GROUP.
    static func deleteGroupRequest(_ group: UInt32) -> MessageWriter {
        var m = MessageWriter(type: UInt16(RTM_DELLINK))
        m.append(header: ifinfomsg())
        m.attribute(UInt16(IFLA_GROUP), uint32: group)
        return m
    }

    /// The request ``deleteLink(named:)`` sends: RTM_DELLINK, ifindex 0, IFLA_IFNAME.
    static func deleteNamedRequest(_ name: String) -> MessageWriter {
        var m = MessageWriter(type: UInt16(RTM_DELLINK))
        m.append(header: ifinfomsg())
        m.attribute(UInt16(IFLA_IFNAME), string: name)
        return m
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
        do { replies = try socket.request(m) } catch let e as KernelError where e.errno == .noSuchDevice {
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
    public func waitUntilRunning(_ names: [String], timeout: Double = 3) throws -> [String] {
        let deadline = monotonicSeconds() + timeout
        var pending = Swift.Set(names)
        while true {
            // A few names: one RTM_GETLINK each; many: one dump.
            let current = pending.count <= 16 ? try pending.compactMap { try linkIfPresent(named: $0) } : try links()
            for l in current where pending.contains(l.name) && l.flags.contains(.running) {
                pending.remove(l.name)
            }
            if pending.isEmpty || monotonicSeconds() > deadline { return pending.sorted() }
            usleep(10_000)
        }
    }
}
