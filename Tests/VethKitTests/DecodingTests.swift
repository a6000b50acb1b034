import CLinuxUAPI
import Foundation
import Netlink
import VethKitTestSupport
@_spi(Decoding) @testable import VethKit
import XCTest

/// Decoding of replies captured from a real kernel (Fixtures/, made with
/// `scripts/sandbox python3 …` from a veth1/veth2 pair, bridge br0 192.168.1.1/24, veth1 with
/// fd00::1/64, and a route 10.9.0.0/16 via 192.168.1.2 metric 7).
final class DecodingTests: XCTestCase {
    func fixture(_ name: String) throws -> [NetlinkMessage] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "bin", subdirectory: "Fixtures"))
        return try NetlinkMessage.parse(Array(Data(contentsOf: url)))
    }

    func testLinkGetReply() throws {
        let msgs = try fixture("getlink-veth1")
        let link = try Link(message: XCTUnwrap(msgs.first { $0.type == UInt16(RTM_NEWLINK) }))
        XCTAssertEqual(link.name, "veth1")
        XCTAssertEqual(link.kind, "veth")
        XCTAssertEqual(link.portKind, "bridge")
        XCTAssertTrue(link.isUp)
        XCTAssertNotNil(link.masterIndex)
        XCTAssertNotNil(link.linkIndex)
        XCTAssertNil(link.linkNetnsID)
        XCTAssertEqual(link.mtu, 1500)
        XCTAssertEqual(link.address?.bytes.count, 6)
        XCTAssertNotNil(link.statistics)
    }

    func testLinkDump() throws {
        let msgs = try fixture("dumplink")
        XCTAssertEqual(msgs.last?.type, UInt16(NLMSG_DONE))
        let links = try msgs.filter { $0.type == UInt16(RTM_NEWLINK) }.map(Link.init(message:))
        XCTAssertEqual(Set(links.map(\.name)), ["lo", "veth1", "veth2", "br0"])
        let veth1 = try XCTUnwrap(links.first { $0.name == "veth1" })
        let veth2 = try XCTUnwrap(links.first { $0.name == "veth2" })
        let br0 = try XCTUnwrap(links.first { $0.name == "br0" })
        XCTAssertEqual(veth1.linkIndex, veth2.index)
        XCTAssertEqual(veth2.linkIndex, veth1.index)
        XCTAssertEqual(veth1.masterIndex, br0.index)
        XCTAssertEqual(br0.kind, "bridge")
        XCTAssertEqual(links.first { $0.name == "lo" }?.flags.contains(.loopback), true)
    }

    func testAddressDump() throws {
        let addrs = try fixture("dumpaddr").filter { $0.type == UInt16(RTM_NEWADDR) }.map(Address.init(message:))
        let nets = addrs.map { "\($0.network)" }
        XCTAssertTrue(nets.contains("192.168.1.1/24"), "\(nets)")
        XCTAssertTrue(nets.contains("fd00::1/64"), "\(nets)")
        let v4 = try XCTUnwrap(addrs.first { $0.network.description == "192.168.1.1/24" })
        XCTAssertEqual(v4.label, "br0")
        XCTAssertEqual(v4.scopeName, "global")
    }

    func testRouteDump() throws {
        let routes = try fixture("dumproute4").filter { $0.type == UInt16(RTM_NEWROUTE) }.map(Route.init(message:))
        let r = try XCTUnwrap(routes.first { $0.destination.description == "10.9.0.0/16" })
        XCTAssertEqual(r.gateway, IPAddress("192.168.1.2"))
        XCTAssertEqual(r.metric, 7)
        XCTAssertEqual(r.table, .main)
        XCTAssertEqual(r.family, .inet)
        XCTAssertEqual(r.type, .unicast)
        XCTAssertEqual(r.scope, .universe, "a route via a gateway")
        XCTAssertTrue(routes.contains { $0.destinationText == "192.168.1.0/24" && $0.protocol == .kernel && $0.scope == .link })
    }

    /// The typed decoder for a message of this type (nil: not one VethKit decodes).
    static func decode(_ m: NetlinkMessage) throws -> Any? {
        switch Int32(m.type) {
        case Int32(RTM_NEWLINK), Int32(RTM_DELLINK): try Link(message: m)
        case Int32(RTM_NEWADDR), Int32(RTM_DELADDR): try Address(message: m)
        case Int32(RTM_NEWROUTE), Int32(RTM_DELROUTE): try Route(message: m)
        default: nil
        }
    }

    /// Requests built by the product's own encoders, which the typed decoders read as well.
    static func builtSeeds() throws -> [[UInt8]] {
        var veth = LinkSpec.veth(try InterfaceName("veth1"), peer: try InterfaceName("veth2"))
        veth.attributes.mtu = 1400
        veth.attributes.group = 9
        veth.attributes.alias = "vethkit:seed"
        veth.attributes.address = try MACAddress("02:00:00:00:00:01")
        return [
            try veth.request().encoded(sequence: 1),
            try LinkSpec.bridge(InterfaceName("br0")).request().encoded(sequence: 2),
            Address.request(Int32(RTM_NEWADDR), try IPNetwork("192.168.1.200/24"), linkIndex: 2).encoded(sequence: 3),
            Address.request(Int32(RTM_NEWADDR), try IPNetwork("fd00::1/64"), linkIndex: 2, noDAD: true).encoded(sequence: 4),
            Route(destination: try IPNetwork("10.9.0.0/16"), gateway: IPAddress("192.168.1.2"), metric: 7, table: RouteTable(rawValue: 1000))
                .request(Int32(RTM_NEWROUTE)).encoded(sequence: 5),
            // The link kinds' IFLA_INFO_DATA (VLANTests, MACVLANTests, IPVLANTests, VXLANTests).
            try LinkSpec(LinkAttributes(name: InterfaceName("v10")), kind: VLAN(parent: .index(3), id: 10, protocol: .dot1AD, flags: [.gvrp]))
                .request().encoded(sequence: 6),
            try LinkSpec.macvlan(InterfaceName("mv0"), parent: .index(3), mode: .vepa).request().encoded(sequence: 7),
            try LinkSpec.ipvlan(InterfaceName("ipv0"), parent: .index(3), mode: .l3s).request().encoded(sequence: 8),
            try LinkSpec.vxlan(InterfaceName("vx0"), VXLAN(id: 42, remote: IPAddress("fd00::2"), local: IPAddress("fd00::1"),
                                                          parent: .index(3), learning: false)).request().encoded(sequence: 9),
        ]
    }

    /// Property test: captured kernel replies and the product's own requests, mutated (bit flips,
    /// truncation, nlmsg_len/nla_len edits, attribute splicing), go through the typed decoders
    /// (Link, Address, Route, Event): each decodes or throws the decoders' own errors
    /// (MalformedMessage, or InvalidInput for an impossible prefix length), never traps, and
    /// enough mutants reach the typed decoders and decode for the test to mean something.
    func testDecodersSurviveMutatedReplies() throws {
        let (seeded, seed) = seededGenerator(default: 99)
        var rng = seeded
        var seeds = try Self.builtSeeds()
        for name in ["getlink-veth1", "dumplink", "dumpaddr", "dumproute4"] {
            let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "bin", subdirectory: "Fixtures"))
            seeds.append(Array(try Data(contentsOf: url)))
        }
        // The originals decode, every message of them.
        for (i, b) in seeds.enumerated() {
            let msgs = try NetlinkMessage.parse(b)
            XCTAssertFalse(msgs.isEmpty, "seed \(i)")
            for m in msgs { XCTAssertNoThrow(try Self.decode(m), "seed \(i) message type \(m.type)") }
        }
        var reached = 0, decoded = 0, refused = 0
        let rounds = 12_000
        for round in 0..<rounds {
            let origin = Int.random(in: 0..<seeds.count, using: &rng)
            let (b, kind) = NetlinkMutator.mutate(seeds[origin], donors: seeds, using: &rng)
            guard let msgs = try? NetlinkMessage.parse(b) else { continue }
            for m in msgs where ReferenceDecoder.fixedHeader(m.type) != nil {
                reached += 1
                do {
                    _ = try Self.decode(m)
                    _ = try Event(message: m)
                    decoded += 1
                } catch let e as MalformedMessage {
                    refused += 1
                    XCTAssertFalse(e.reason.isEmpty)
                } catch let e as InvalidInput {
                    refused += 1
                    XCTAssertEqual(e.what, "CIDR", "seed \(seed) round \(round) \(kind): \(e)")
                } catch {
                    XCTFail("seed \(seed) round \(round) seed datagram \(origin) \(kind): \(type(of: error)) is not a decoder error: \(error)")
                }
            }
        }
        print("DecodingTests seed \(seed): \(reached) mutated messages reached the typed decoders, \(decoded) decoded, \(refused) refused")
        XCTAssertGreaterThan(reached, rounds, "seed \(seed): too few mutants reached the typed decoders")
        XCTAssertGreaterThan(decoded, reached / 2, "seed \(seed): too few mutants decoded")
        XCTAssertGreaterThan(refused, reached / 50, "seed \(seed): too few mutants were refused by the typed decoders")
    }

    /// Property test: random links, addresses and routes encoded by the product decode to the
    /// same values (the encoders and decoders agree field by field).
    func testRandomObjectsRoundTrip() throws {
        let (seeded, seed) = seededGenerator(default: 7)
        var rng = seeded
        func first(_ w: MessageWriter) throws -> NetlinkMessage { try XCTUnwrap(NetlinkMessage.parse(w.encoded(sequence: 1)).first) }
        for round in 0..<500 {
            let ctx = "seed \(seed) round \(round)"
            let name = try InterfaceName("l" + String(UInt32.random(in: 0...UInt32.max, using: &rng), radix: 36))
            var attrs = LinkAttributes(name: name)
            attrs.mtu = UInt32.random(in: 68...65535, using: &rng)
            attrs.group = UInt32.random(in: 0...1000, using: &rng)
            attrs.alias = Bool.random(using: &rng) ? "vethkit:t\(round)" : nil
            attrs.txQueueLength = UInt32.random(in: 0...10000, using: &rng)
            var mac = (0..<6).map { _ in UInt8.random(in: 0...255, using: &rng) }
            mac[0] = mac[0] & 0xfe | 2
            attrs.address = MACAddress(bytes: mac)
            let link = try Link(message: first(LinkSpec(attrs, kind: Bool.random(using: &rng) ? Bridge() : Dummy()).request()))
            XCTAssertEqual(link.name, name.rawValue, ctx)
            XCTAssertEqual(link.mtu, attrs.mtu, ctx)
            XCTAssertEqual(link.group, attrs.group, ctx)
            XCTAssertEqual(link.alias, attrs.alias, ctx)
            XCTAssertEqual(link.txQueueLength, attrs.txQueueLength, ctx)
            XCTAssertEqual(link.address, attrs.address, ctx)

            let v6 = Bool.random(using: &rng)
            let ip: IPAddress = v6 ? try XCTUnwrap(IPAddress(bytes: ((0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) })[...]))
                                   : .v4(UInt32.random(in: 1...UInt32.max, using: &rng))
            let net = try IPNetwork(address: ip, prefixLength: Int.random(in: 0...(v6 ? 128 : 32), using: &rng))
            let index = Int32.random(in: 1...100_000, using: &rng)
            let a = try Address(message: first(Address.request(Int32(RTM_NEWADDR), net, linkIndex: index)))
            XCTAssertEqual(a.network, net, ctx)
            XCTAssertEqual(a.linkIndex, index, ctx)

            let table = Bool.random(using: &rng) ? RouteTable.main : RouteTable(rawValue: UInt32.random(in: 1...100_000, using: &rng))
            let metric = UInt32.random(in: 0...10_000, using: &rng)
            let proto = RouteProtocol(rawValue: UInt8.random(in: 0...255, using: &rng))
            let r = Route(destination: net, gateway: ip, device: .index(index), metric: metric, table: table, protocol: proto)
            let back = try Route(message: first(r.request(Int32(RTM_NEWROUTE))))
            XCTAssertEqual(back.destination, net.masked, ctx)
            XCTAssertEqual(back.isDefault, net.prefixLength == 0, ctx)
            XCTAssertEqual(back.family, net.family, ctx)
            XCTAssertEqual(back.gateway, ip, ctx)
            XCTAssertEqual(back.device, .index(index), ctx)
            XCTAssertEqual(back.metric, metric, ctx)
            XCTAssertEqual(back.table, table, ctx)
            XCTAssertEqual(back.protocol, proto, ctx)
            XCTAssertEqual(back.scope, .universe, ctx)
            XCTAssertTrue(back.matches(r), ctx)
        }
    }
}
