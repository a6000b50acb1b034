import CLinuxUAPI
import Glibc
import Netlink

extension NetHandle {
    /// Every address in the namespace, or those of one link (`ip addr show [dev NAME]`).
    public func addresses(link: LinkReference? = nil) throws -> [Address] {
        let index = try link.map { try self.index(of: $0) }
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

    /// Adds `address` to `link` (`ip addr add CIDR dev NAME`). `noDAD` skips IPv6 duplicate address
    /// detection, so the address is usable at once; `protocol` records who added it (IFA_PROTO).
    public func addAddress(_ address: IPNetwork, to link: LinkReference, noDAD: Bool = false,
                           protocol: AddressProtocol? = nil) throws {
        let index = try self.index(of: link)
        var m = MessageWriter(capacity: 64)
        Address.encode(Int32(RTM_NEWADDR), address, linkIndex: index, noDAD: noDAD, protocol: `protocol`, into: &m)
        try socket.request(m)
    }

    /// Removes `address` from `link`; throws ``NotFound`` when the link does not carry it.
    public func deleteAddress(_ address: IPNetwork, from link: LinkReference) throws {
        let index = try self.index(of: link)
        var m = MessageWriter(capacity: 64)
        Address.encode(Int32(RTM_DELADDR), address, linkIndex: index, into: &m)
        do {
            try socket.request(m)
        } catch let e as KernelError where e.errno == .addressNotAvailable {
            throw NotFound(.address, "\(address) on \(link)", in: placeName)
        }
    }

    /// Waits until no IPv6 address of the link is tentative (duplicate address detection over),
    /// polling every 20 ms up to `timeout` seconds. Returns false on time-out.
    public func waitForAddresses(link: LinkReference, timeout: Double = 5) throws -> Bool {
        let deadline = monotonicSeconds() + timeout
        while true {
            if try !addresses(link: link).contains(where: \.isTentative) { return true }
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
