import CLinuxUAPI
import Netlink
import VethKitTestSupport
@_spi(Decoding) @testable import VethKit
import XCTest

/// RTA_MULTIPATH (rtnexthop blocks), rtm_flags, RTA_PREFSRC and RTA_PREF decoded from messages
/// built byte by byte, including truncated and hostile next-hop blocks (thrown as
/// MalformedMessage, never a trap).
final class RouteNextHopDecodingTests: XCTestCase {
    /// An RTM_NEWROUTE for 10.147.20.0/24 (or fd47:4::/64) with `attributes` written by `body`.
    func message(inet6: Bool = false, flags: UInt32 = 0, _ body: (inout MessageWriter) -> Void) throws -> NetlinkMessage {
        var w = MessageWriter(type: UInt16(RTM_NEWROUTE))
        var h = rtmsg()
        h.rtm_family = inet6 ? UInt8(AF_INET6) : UInt8(AF_INET)
        h.rtm_dst_len = inet6 ? 64 : 24
        h.rtm_table = UInt8(RT_TABLE_MAIN.rawValue)
        h.rtm_type = UInt8(RTN_UNICAST)
        h.rtm_flags = flags
        w.append(header: h)
        w.attribute(UInt16(RTA_DST.rawValue), inet6 ? try IPAddress(parsing: "fd47:4::").bytes : [10, 147, 20, 0])
        body(&w)
        return try XCTUnwrap(NetlinkMessage.parse(w.encoded(sequence: 1)).first)
    }

    /// One rtnexthop block: header (length counting `attrs`) then `attrs` (already padded).
    func hop(length: Int? = nil, flags: UInt8 = 0, hops: UInt8 = 0, ifindex: Int32, attrs: [UInt8] = []) -> [UInt8] {
        let len = UInt16(length ?? 8 + attrs.count)
        var b: [UInt8] = [UInt8(len & 0xff), UInt8(len >> 8), flags, hops]
        withUnsafeBytes(of: ifindex) { b += $0 }
        return b + attrs
    }

    /// An RTA_GATEWAY attribute (header + address, 4-byte aligned).
    func gateway(_ a: [UInt8]) -> [UInt8] {
        let len = UInt16(4 + a.count)
        var b: [UInt8] = [UInt8(len & 0xff), UInt8(len >> 8), UInt8(RTA_GATEWAY.rawValue), 0] + a
        while b.count % 4 != 0 { b.append(0) }
        return b
    }

    func testMultipathNexthopsWeightsAndFlags() throws {
        let blocks = hop(ifindex: 3, attrs: gateway([10, 147, 1, 2]))
            + hop(flags: UInt8(RTNH_F_LINKDOWN | RTNH_F_ONLINK), hops: 2, ifindex: 4, attrs: gateway([10, 147, 2, 2]))
        let r = try Route(message: message { $0.attribute(UInt16(RTA_MULTIPATH.rawValue), blocks) })
        XCTAssertNil(r.gateway)
        XCTAssertEqual(r.nexthops, [
            RouteNextHop(gateway: try IPAddress(parsing: "10.147.1.2"), device: .index(3), weight: 1, flags: []),
            RouteNextHop(gateway: try IPAddress(parsing: "10.147.2.2"), device: .index(4), weight: 3, flags: [.linkdown, .onlink]),
        ])
        XCTAssertEqual(r.nexthops[1].flags.names, ["onlink", "linkdown"], "ip's order and spelling")
    }

    func testIPv6NexthopsPreferenceAndSource() throws {
        let gw = try IPAddress(parsing: "fd47:1::3")
        let r = try Route(message: message(inet6: true) {
            $0.attribute(UInt16(RTA_MULTIPATH.rawValue), hop(hops: 1, ifindex: 7, attrs: gateway(gw.bytes)))
            $0.attribute(UInt16(RTA_PREF.rawValue), uint8: UInt8(ICMPV6_ROUTER_PREF_HIGH))
            $0.attribute(UInt16(RTA_PREFSRC.rawValue), try! IPAddress(parsing: "fd47:1::1").bytes)
        })
        XCTAssertEqual(r.nexthops, [RouteNextHop(gateway: gw, device: .index(7), weight: 2)])
        XCTAssertEqual(r.preference, .high)
        XCTAssertEqual(r.preference?.name, "high")
        XCTAssertEqual(r.preferredSource, try IPAddress(parsing: "fd47:1::1"))
        XCTAssertEqual(RoutePreference.low.name, "low")
        XCTAssertEqual(RoutePreference.medium.name, "medium")
        XCTAssertEqual(RoutePreference(rawValue: 2).name, "2", "an unnamed preference prints as its number")
    }

    func testRouteFlagsFromRtmFlags() throws {
        let r = try Route(message: message(flags: UInt32(RTNH_F_LINKDOWN) | UInt32(RTM_F_OFFLOAD)) { _ in })
        XCTAssertEqual(r.flags, [.linkdown, .routeOffload])
        XCTAssertEqual(r.flags.names, ["linkdown", "rt_offload"])
        XCTAssertEqual(r.nexthops, [])
        XCTAssertNil(r.preference, "no RTA_PREF, no preference")
        XCTAssertEqual(try Route(message: message(flags: UInt32(RTNH_F_ONLINK)) { _ in }).flags.names, ["onlink"])
        XCTAssertEqual(RouteFlags(rawValue: UInt32(RTM_F_CLONED)).names, [], "a flag ip does not print is not named")
    }

    func testHostileNexthopBlocksThrowMalformedMessage() throws {
        let good = hop(ifindex: 3, attrs: gateway([10, 147, 1, 2]))
        let cases: [(String, [UInt8])] = [
            ("length below the header", hop(length: 4, ifindex: 3)),
            ("length 0 (would loop forever)", hop(length: 0, ifindex: 3)),
            ("length past the payload", hop(length: 200, ifindex: 3, attrs: gateway([10, 147, 1, 2]))),
            ("second hop truncated", good + Array(hop(ifindex: 4, attrs: gateway([10, 147, 2, 2])).prefix(14))),
            ("attribute inside runs past the hop", hop(length: 12, ifindex: 3, attrs: [12, 0, 5, 0])),
        ]
        for (what, bytes) in cases {
            XCTAssertThrowsError(try Route(message: message { $0.attribute(UInt16(RTA_MULTIPATH.rawValue), bytes) }), what) { e in
                XCTAssertTrue(e is MalformedMessage, "\(what): \(e)")
            }
        }
        // Trailing bytes shorter than a header are ignored, as ip and the kernel do.
        let r = try Route(message: message { $0.attribute(UInt16(RTA_MULTIPATH.rawValue), good + [1, 2, 3, 4]) })
        XCTAssertEqual(r.nexthops.count, 1)
        // An empty RTA_MULTIPATH is no next hop, and a hop without attributes has no gateway.
        XCTAssertEqual(try Route(message: message { $0.attribute(UInt16(RTA_MULTIPATH.rawValue), [UInt8]()) }).nexthops, [])
        XCTAssertEqual(try Route(message: message { $0.attribute(UInt16(RTA_MULTIPATH.rawValue), hop(ifindex: 0)) }).nexthops,
                       [RouteNextHop(gateway: nil, device: nil, weight: 1)])
    }

    /// Every truncation and every byte value at every offset of a two-hop block: decoded or
    /// MalformedMessage, never a trap; the weights stay within 1–256.
    func testEveryTruncationAndByteOfANexthopBlock() throws {
        let block = hop(ifindex: 3, attrs: gateway([10, 147, 1, 2])) + hop(hops: 255, ifindex: 4, attrs: gateway([10, 147, 2, 2]))
        var decoded = 0, refused = 0
        func attempt(_ bytes: [UInt8]) throws {
            do {
                let r = try Route(message: message { $0.attribute(UInt16(RTA_MULTIPATH.rawValue), bytes) })
                XCTAssertTrue(r.nexthops.allSatisfy { (1...256).contains($0.weight) })
                decoded += 1
            } catch is MalformedMessage { refused += 1 }
        }
        for n in 0...block.count { try attempt(Array(block.prefix(n))) }
        for i in block.indices {
            for v: UInt8 in [0, 1, 4, 7, 8, 9, 0x7f, 0xff] {
                var b = block
                b[i] = v
                try attempt(b)
            }
        }
        XCTAssertGreaterThan(decoded, 100, "decoded \(decoded), refused \(refused)")
        XCTAssertGreaterThan(refused, 20, "decoded \(decoded), refused \(refused)")
    }
}
