import CLinuxUAPI
import Glibc
import Netlink
@_spi(Decoding) @testable import VethKit
import XCTest

/// The marks the topology engine relies on, as VethKit encodes and decodes them: IFA_PROTO on
/// addresses, rtm_protocol on route deletes (so the kernel deletes only a route of that protocol).
final class OwnershipMarkEncodingTests: XCTestCase {
    /// The payload after the nlmsghdr, as a message the decoders take.
    func message(_ w: MessageWriter) -> NetlinkMessage {
        NetlinkMessage(type: w.type, payload: ArraySlice(w.bytes.dropFirst(MemoryLayout<nlmsghdr>.size)))
    }

    func testAddressProtocolIsSentAndDecoded() throws {
        let a = try IPNetwork("10.0.0.1/24")
        let m = Address.request(Int32(RTM_NEWADDR), a, linkIndex: 3, protocol: .vethkit)
        // ifaddrmsg (8), IFA_LOCAL (8), IFA_ADDRESS (8), IFA_PROTO (5, padded to 8).
        XCTAssertEqual(Array(m.bytes.suffix(8)), [5, 0, UInt8(IFA_PROTO), 0, 0x56, 0, 0, 0])
        let decoded = try Address(message: message(m))
        XCTAssertEqual(decoded.protocol, .vethkit)
        XCTAssertEqual(decoded.protocol.rawValue, 0x56)
        XCTAssertEqual(decoded.network, a)
        // Without a protocol: no IFA_PROTO, decoded as 0 (what a kernel before 6.3 reports).
        let plain = Address.request(Int32(RTM_NEWADDR), a, linkIndex: 3)
        XCTAssertEqual(plain.bytes.count, m.bytes.count - 8)
        XCTAssertEqual(try Address(message: message(plain)).protocol, .unspecified)
        // Never on a delete.
        let del = Address.request(Int32(RTM_DELADDR), a, linkIndex: 3, protocol: .vethkit)
        XCTAssertEqual(del.bytes.count, plain.bytes.count)
    }

    func testRouteDeleteMatchingProtocolCarriesIt() throws {
        let r = Route(destination: try IPNetwork("10.77.0.0/16"), gateway: try IPAddress("192.168.1.1"), protocol: .vethkit)
        let offset = MemoryLayout<nlmsghdr>.size + 4   // rtm_family, dst_len, src_len, tos, then table, protocol
        let strict = r.request(Int32(RTM_DELROUTE), matchingProtocol: true)
        XCTAssertEqual(strict.bytes[offset + 1], 0x56, "rtm_protocol of a matching delete")
        let loose = r.request(Int32(RTM_DELROUTE))
        XCTAssertEqual(loose.bytes[offset + 1], 0, "an ordinary delete matches any protocol")
        XCTAssertEqual(r.request(Int32(RTM_NEWROUTE)).bytes[offset + 1], 0x56)
    }

    /// Chains and their comments from a `list table inet vethkit` listing (what the topology checks
    /// before removing a masquerade rule).
    func testMasqueradeChainsAndComments() {
        let listing = """
            table inet vethkit {
            \tchain m0123456789abcdef {
            \t\tcomment "topo/seed/host/192.168.1.0/24"
            \t\ttype nat hook postrouting priority srcnat; policy accept;
            \t\tip saddr 192.168.1.0/24 ip daddr != 192.168.1.0/24 masquerade
            \t}
            \tchain userchain {
            \t}
            \tchain other {
            \t\tcomment "user"
            \t}
            }
            """
        let c = Masquerade.parseChains(listing)
        XCTAssertEqual(c.count, 3, "\(c)")
        XCTAssertEqual(c["m0123456789abcdef"], .some("topo/seed/host/192.168.1.0/24"))
        XCTAssertEqual(c["userchain"], .some(nil))
        XCTAssertEqual(c["other"], .some("user"))
    }
}
