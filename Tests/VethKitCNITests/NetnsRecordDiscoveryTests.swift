import Foundation
@testable import VethKit
import XCTest
@testable import VethKitCNI

/// VethKit's namespace discovery reads vethkit-cni's netns records without VethKitCNI (the layer
/// above it): the record ADD writes and the one discovery parses must stay the same format.
final class NetnsRecordDiscoveryTests: XCTestCase {
    func testDiscoveryReadsTheRecordAddWrites() throws {
        let dir = temporaryDirectory(self)
        let ipam = try BuiltinIPAM(ipam: json(#"{"type":"vethkit","dataDir":"\#(dir)","subnet":"10.141.0.0/24"}"#), network: "h1net")
        let a = NetworkConfig.Attachment(containerID: "h1-ctr-1", ifname: "eth3")
        _ = try ipam.add(a, netns: NetnsRecord(attachment: a, path: "/run/netns/h1-x", device: 4, inode: 4026533123))
        _ = try ipam.add(.init(containerID: "h1-ctr-2", ifname: "eth0"))   // no record: nothing to find
        let found = CNIState.vethkitRecords([dir])
        XCTAssertEqual(found, [CNIState.Attachment(containerID: "h1-ctr-1", network: "h1net", ifname: "eth3", netnsPath: "/run/netns/h1-x",
                                                   namespace: NamespaceID(device: 4, inode: 4026533123))])
    }
}
