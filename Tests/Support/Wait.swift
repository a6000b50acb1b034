import Foundation
import VethKit
import XCTest

/// Polls `condition` every `interval` seconds until it holds or `timeout` seconds pass. On time-out
/// the test fails with "timed out after N s waiting for <what>" (so a wait never gives up silently
/// and lets the test compare anyway); returns whether the condition held.
@discardableResult
public func waitUntil(_ what: @autoclosure () -> String, timeout: Double = 5, interval: Double = 0.02,
                      file: StaticString = #filePath, line: UInt = #line, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = monotonicSeconds() + timeout
    while true {
        if try condition() { return true }
        if monotonicSeconds() > deadline {
            XCTFail("timed out after \(timeout) s waiting for \(what())", file: file, line: line)
            return false
        }
        usleep(UInt32(interval * 1_000_000))
    }
}

/// Names of the links in the calling thread's namespace (as `ip -j link show` lists them).
public func hostLinkNames(file: StaticString = #filePath, line: UInt = #line) throws -> Set<String> {
    Set(try ipJSON("link", "show", file: file, line: line).compactMap { $0["ifname"] as? String })
}

/// Waits until none of `names` is a link of the calling thread's namespace any more: the host
/// ends of veths whose peers were in a deleted namespace vanish asynchronously, 50-250 ms later.
/// Fails the test after `timeout` seconds.
public func waitUntilLinksGone(_ names: [String], timeout: Double = 5, file: StaticString = #filePath, line: UInt = #line) throws {
    guard !names.isEmpty else { return }
    try waitUntil("links \(names) to disappear", timeout: timeout, file: file, line: line) {
        try hostLinkNames(file: file, line: line).isDisjoint(with: names)
    }
}

/// `read()` once it gives the same value twice more than a second apart: carrier and operstate
/// changes reach a dump through the kernel's linkwatch, up to one second after the event (a
/// macvlan on a veth that has just come up reads NO-CARRIER until then). Use it for a "before"
/// snapshot that later snapshots are compared with. Fails the test after `timeout` seconds.
public func settled<T: Equatable>(timeout: Double = 11, file: StaticString = #filePath, line: UInt = #line,
                                  _ read: () throws -> T) rethrows -> T {
    let deadline = monotonicSeconds() + timeout
    var last = try read()
    while monotonicSeconds() < deadline {
        usleep(1_100_000)
        let now = try read()
        if now == last { return now }
        last = now
    }
    XCTFail("not settled after \(timeout) s", file: file, line: line)
    return last
}
