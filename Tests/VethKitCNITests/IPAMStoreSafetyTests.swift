import VethKitJSON
import Foundation
import VethKit
import XCTest
@testable import VethKitCNI

/// The IPAM store never follows a symbolic link and never writes outside dataDir/NETWORK; a
/// second ADD of one attachment never makes a second reservation; reservations of an earlier
/// boot are dropped. No privilege needed: everything happens in a temporary directory.
final class IPAMStoreSafetyTests: XCTestCase {
    var dir = ""
    var victim = ""
    let fm = FileManager.default

    override func setUp() {
        dir = temporaryDirectory(self)
        victim = dir + "/victim"
        fm.createFile(atPath: victim, contents: Data("secret".utf8))
    }

    func ipam(_ dataDir: String, subnet: String = "10.15.0.0/29", bootIDFile: String = BootID.systemFile) throws -> BuiltinIPAM {
        try BuiltinIPAM(ipam: json(#"{"type":"vethkit","dataDir":"\#(dataDir)","subnet":"\#(subnet)"}"#), network: "net1", bootIDFile: bootIDFile)
    }
    func att(_ id: String, _ ifname: String = "eth0") -> NetworkConfig.Attachment { .init(containerID: id, ifname: ifname) }

    func assertVictimUntouched(file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(try String(contentsOfFile: victim, encoding: .utf8), "secret", "the symlink's target is unchanged", file: file, line: line)
    }

    func isSymlink(_ p: String) -> Bool { (try? fm.destinationOfSymbolicLink(atPath: p)) != nil }

    // MARK: symlinks

    func testSymlinkAtNetworkDirectoryIsRefused() throws {
        let outside = dir + "/outside"
        try fm.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try fm.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: dir + "/data/net1", withDestinationPath: outside)
        let p = try ipam(dir + "/data")
        let e = assertCNIError(.ioFailure) { try p.add(att("c1")) }
        XCTAssertTrue(e?.msg.contains("symbolic link") ?? false, "the refusal says why: \(String(describing: e))")
        assertCNIError(.ioFailure) { try p.del(att("c1")) }
        assertCNIError(.ioFailure) { try p.gc(keep: []) }
        assertCNIError(.ioFailure) { try p.status() }
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: outside), [], "nothing written through the symlink")
    }

    func testSymlinkInDataDirPathIsRefused() throws {
        try fm.createDirectory(atPath: dir + "/real", withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: dir + "/link", withDestinationPath: dir + "/real")
        let p = try ipam(dir + "/link/data")
        assertCNIError(.ioFailure) { try p.add(att("c1")) }
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: dir + "/real"), [], "no directory made through the symlink")
    }

    func testSymlinkAtLockIsRefused() throws {
        try fm.createDirectory(atPath: dir + "/data/net1", withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: dir + "/data/net1/lock", withDestinationPath: victim)
        let e = assertCNIError(.ioFailure) { try self.ipam(dir + "/data").add(att("c1")) }
        XCTAssertTrue(e?.msg.contains("lock") ?? false, "names the lock: \(String(describing: e))")
        assertVictimUntouched()
        // A dangling one must not create its target either.
        try fm.removeItem(atPath: dir + "/data/net1/lock")
        try fm.createSymbolicLink(atPath: dir + "/data/net1/lock", withDestinationPath: dir + "/created-by-lock")
        assertCNIError(.ioFailure) { try self.ipam(dir + "/data").add(att("c1")) }
        XCTAssertFalse(fm.fileExists(atPath: dir + "/created-by-lock"), "the dangling symlink's target was not created")
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: dir + "/data/net1").filter { IPAddress($0) != nil }, [], "no reservation")
    }

    func testSymlinkAtReservationIsNeverFollowed() throws {
        try fm.createDirectory(atPath: dir + "/data/net1", withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: dir + "/data/net1/10.15.0.2", withDestinationPath: victim)
        let p = try ipam(dir + "/data")
        XCTAssertEqual(try p.add(att("c1")).ips.first?.address.address, IPAddress("10.15.0.3"), "the planted name counts as taken")
        let store = try p.openStore()
        XCTAssertNil(store.owner(of: IPAddress("10.15.0.2")!), "its target is not read as a reservation")
        try p.del(att("c1"))
        assertVictimUntouched()
        // GC removes the planted name itself (unlinkat), never its target.
        XCTAssertEqual(try p.gc(keep: []), [IPAddress("10.15.0.2")!])
        XCTAssertFalse(isSymlink(dir + "/data/net1/10.15.0.2"), "the symlink is gone")
        assertVictimUntouched()
    }

    func testSymlinkAtHintsIsReplacedNotFollowed() throws {
        try fm.createDirectory(atPath: dir + "/data/net1", withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: dir + "/data/net1/last_reserved_ip.0", withDestinationPath: victim)
        try fm.createSymbolicLink(atPath: dir + "/data/net1/boot_id", withDestinationPath: victim)
        let bootFile = dir + "/boot"
        try "boot-A\n".write(toFile: bootFile, atomically: true, encoding: .utf8)
        let p = try ipam(dir + "/data", bootIDFile: bootFile)
        XCTAssertEqual(try p.add(att("c1")).ips.first?.address.address, IPAddress("10.15.0.2"), "a symlinked hint is not read")
        assertVictimUntouched()
        XCTAssertFalse(isSymlink(dir + "/data/net1/last_reserved_ip.0"), "the hint is now a file of the store")
        XCTAssertEqual(try String(contentsOfFile: dir + "/data/net1/last_reserved_ip.0", encoding: .utf8), "10.15.0.2")
        XCTAssertFalse(isSymlink(dir + "/data/net1/boot_id"))
        XCTAssertEqual(try String(contentsOfFile: dir + "/data/net1/boot_id", encoding: .utf8), "boot-A\n")
    }

    func testFIFOAtReservationDoesNotBlock() throws {
        try fm.createDirectory(atPath: dir + "/data/net1", withIntermediateDirectories: true)
        XCTAssertEqual(mkfifo(dir + "/data/net1/10.15.0.2", 0o600), 0, "mkfifo")
        let p = try ipam(dir + "/data")
        XCTAssertEqual(try p.add(att("c1")).ips.first?.address.address, IPAddress("10.15.0.3"))
        XCTAssertEqual(try p.gc(keep: [att("c1")]), [IPAddress("10.15.0.2")!], "GC reads it without blocking and drops it")
    }

    func testNetworkNamesAndDataDirsThatCouldEscapeAreRefused() {
        for n in ["..", ".", "../x", "a/b", "x\u{0}y", "-x", ""] {
            assertCNIError(.invalidNetworkConfig) { try IPAMStore(dataDir: self.dir, network: n) }
        }
        for d in ["var/lib/cni", "./x", "/a/../b", "/a/./b", "/a/\u{1b}]0;x", "/a\nb", "/a\u{7f}"] {
            let e = assertCNIError(.invalidNetworkConfig) { try BuiltinIPAM(ipam: .object(["type": "vethkit", "subnet": "10.1.0.0/24", "dataDir": .string(d)]), network: "net1") }
            XCTAssertTrue(e?.msg.contains("ipam.dataDir") ?? false, "names the field: \(String(describing: e))")
            XCTAssertFalse(e?.msg.unicodeScalars.contains { $0.value < 0x20 } ?? true, "the message escapes control characters")
        }
    }

    // MARK: a second ADD

    func testSecondAddOfTheSameAttachmentIsRefusedAndKeepsTheFirst() throws {
        let p = try ipam(dir, subnet: "10.16.0.0/24")
        let first = try p.add(att("c1")).ips[0].address.address
        let e = assertCNIError(.duplicateAttachment) { try p.add(att("c1")) }
        XCTAssertTrue(e?.msg.contains("duplicate allocation is not allowed") ?? false, "host-local's wording: \(String(describing: e))")
        XCTAssertTrue(e?.msg.contains(first.description) ?? false, "names the address held")
        let held = try p.openStore().reservations()
        XCTAssertEqual(held.map(\.0), [first], "no second reservation, the first kept")
        XCTAssertEqual(held.first?.1, att("c1"))
        // Another interface of the same container is another attachment.
        XCTAssertNotEqual(try p.add(att("c1", "net1")).ips[0].address.address, first)
        // After DEL the attachment can be added again.
        try p.del(att("c1"))
        XCTAssertNoThrow(try p.add(att("c1")))
    }

    // MARK: reboots

    func testReservationsSurviveACrashButNotAReboot() throws {
        let bootFile = dir + "/boot"
        try "boot-A\n".write(toFile: bootFile, atomically: true, encoding: .utf8)
        let p = try ipam(dir, subnet: "10.17.0.0/29", bootIDFile: bootFile)
        for i in 0..<5 { _ = try p.add(att("c\(i)")) }
        assertCNIError(.notAvailable) { try p.status() }
        // A crash: another process (a new store object), same boot: everything is still held.
        let again = try ipam(dir, subnet: "10.17.0.0/29", bootIDFile: bootFile)
        assertCNIError(.notAvailable) { try again.status() }
        XCTAssertEqual(try again.openStore().reservations().count, 5)
        // A reboot: STATUS drops the earlier boot's reservations.
        try "boot-B\n".write(toFile: bootFile, atomically: true, encoding: .utf8)
        XCTAssertNoThrow(try again.status())
        XCTAssertEqual(try again.openStore().reservations().count, 0, "STATUS after a reboot dropped them")
        XCTAssertEqual(try String(contentsOfFile: "\(dir)/net1/boot_id", encoding: .utf8), "boot-B\n", "the new boot is recorded")
        // ADD after a reboot: only the new attachment holds an address.
        _ = try again.add(att("new"))
        try "boot-C\n".write(toFile: bootFile, atomically: true, encoding: .utf8)
        _ = try again.add(att("newer"))
        XCTAssertEqual(try again.openStore().reservations().compactMap { $0.1?.containerID }, ["newer"], "ADD after a reboot dropped the rest")
        // GC after a reboot drops even what it is told to keep: that container is from the old boot.
        try "boot-D\n".write(toFile: bootFile, atomically: true, encoding: .utf8)
        XCTAssertEqual(try again.gc(keep: [att("newer")]).count, 1)
        XCTAssertEqual(try again.openStore().reservations().count, 0)
    }

    func testStoreWithoutBootIDIsAdoptedAndDelCheckDoNotExpire() throws {
        let bootFile = dir + "/boot"
        try "boot-A".write(toFile: bootFile, atomically: true, encoding: .utf8)
        // A store as host-local (or an earlier version) leaves it: no boot_id.
        try fm.createDirectory(atPath: dir + "/net1", withIntermediateDirectories: true)
        fm.createFile(atPath: dir + "/net1/10.18.0.5", contents: Data("old\r\neth0".utf8))
        let p = try ipam(dir, subnet: "10.18.0.0/24", bootIDFile: bootFile)
        XCTAssertNoThrow(try p.status())
        XCTAssertEqual(try p.openStore().owner(of: IPAddress("10.18.0.5")!)?.containerID, "old", "adopted, not dropped")
        XCTAssertEqual(try String(contentsOfFile: dir + "/net1/boot_id", encoding: .utf8), "boot-A\n")
        // DEL and CHECK are not among the verbs that expire.
        try "boot-B".write(toFile: bootFile, atomically: true, encoding: .utf8)
        try p.del(att("someone-else"))
        XCTAssertNoThrow(try p.check(att("old"), ips: [try IPNetwork("10.18.0.5/24")]))
        // An unreadable boot id is an I/O error (code 5), not "everything expired".
        let broken = try ipam(dir, subnet: "10.18.0.0/24", bootIDFile: dir + "/no-such-boot-file")
        assertCNIError(.ioFailure) { try broken.status() }
        XCTAssertEqual(try p.openStore().reservations().count, 1)
    }

    /// The documented test hook through the real binary: VETHKIT_CNI_BOOT_ID_FILE reaches the IPAM.
    func testBootIDHookThroughTheBinary() throws {
        guard let bin = pluginBinary() else { throw XCTSkip("vethkit-cni binary not built") }
        let bootFile = dir + "/boot"
        try "boot-A".write(toFile: bootFile, atomically: true, encoding: .utf8)
        let p = try ipam(dir, subnet: "10.19.0.0/29", bootIDFile: bootFile)
        for i in 0..<5 { _ = try p.add(att("c\(i)")) }
        let cfg = #"{"cniVersion":"1.1.0","name":"net1","type":"vethkit-cni","ipam":{"type":"vethkit","dataDir":"\#(dir)","subnet":"10.19.0.0/29"}}"#
        let env = ["CNI_COMMAND": "STATUS", "CNI_PATH": "/usr/lib/cni", BootID.fileVariable: bootFile]
        let (rc1, out1) = runPlugin(env, cfg, binary: bin)
        XCTAssertEqual(rc1, 1, out1)
        XCTAssertEqual(json(out1)["code"], 50, "same boot: the pool is full")
        try "boot-B".write(toFile: bootFile, atomically: true, encoding: .utf8)
        let (rc2, out2) = runPlugin(env, cfg, binary: bin)
        XCTAssertEqual(rc2, 0, "after the simulated reboot STATUS drops the old reservations: \(out2)")
        XCTAssertEqual(try p.openStore().reservations().count, 0)
    }
}
