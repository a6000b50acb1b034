import CLinuxUAPI
import Glibc
import Netlink

extension NetHandle {
    /// Every address in the namespace, or those of one link (`ip addr show [dev NAME]`).
    public func addresses(link name: String? = nil) throws -> [Address] {
        var index: Int32?
        if let name { index = try link(named: name).index }
        var m = MessageWriter(type: UInt16(RTM_GETADDR))
        var h = ifaddrmsg()
        h.ifa_family = UInt8(AF_UNSPEC)
        if let index { h.ifa_index = UInt32(bitPattern: index) }  // strict checking filters by index
        m.append(header: h)
        return try socket.dump(m).compactMap { m in
            guard m.type == UInt16(RTM_NEWADDR) else { return nil }
            let a = try Address(message: m)
            return index == nil || a.linkIndex == index ? a : nil
        }
    }

    /// Adds `network` to the link called `name` (`ip addr add CIDR dev NAME`). `noDAD` skips IPv6
    /// duplicate address detection, so the address is usable at once.
    public func addAddress(_ network: IPNetwork, link name: String, noDAD: Bool = false) throws {
        try addAddress(network, linkIndex: link(named: name).index, noDAD: noDAD)
    }

    /// Adds `network` to the link with `linkIndex`.
    public func addAddress(_ network: IPNetwork, linkIndex: Int32, noDAD: Bool = false) throws {
        try socket.request(Address.request(Int32(RTM_NEWADDR), network, linkIndex: linkIndex, noDAD: noDAD))
    }

    /// Removes `network` from the link called `name`.
    public func deleteAddress(_ network: IPNetwork, link name: String) throws {
        let index = try link(named: name).index
        do {
            try socket.request(Address.request(Int32(RTM_DELADDR), network, linkIndex: index))
        } catch let e as KernelError where e.errno.rawValue == EADDRNOTAVAIL {
            throw NotFound("address", "\(network) on \(name)", in: placeName)
        }
    }

    /// Waits until no IPv6 address of the link is tentative (duplicate address detection over),
    /// polling every 20 ms up to `timeout` seconds. Returns false on time-out.
    public func waitForAddresses(link name: String, timeout: Double = 5) throws -> Bool {
        let deadline = monotonicSeconds() + timeout
        while true {
            if try !addresses(link: name).contains(where: \.isTentative) { return true }
            if monotonicSeconds() > deadline { return false }
            usleep(20_000)
        }
    }
}

/// Seconds on the monotonic clock.
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
