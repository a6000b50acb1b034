// The machine-wide veth peer map with VethKit's public API: find every namespace
// (NamespaceInventory.discover), scan them (MachinePeerMap.scan, as MachinePeerMap.discover does),
// print every pair as JSON. bench/netns-bench.sh times it; with --timings
// the phases' times go to standard error.
//
//   MachinePeers [--threads N] [--timings] [--separate]
import Glibc
import VethKit

var threads: Int?
var timings = false
var separate = false
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "--threads": threads = args.popFirst().flatMap { Int($0) }
    case "--timings": timings = true
    case "--separate": separate = true
    default: say(2, "usage: MachinePeers [--threads N] [--timings] [--separate]\n"); exit(2)
    }
}

/// Writes all of `text` to file descriptor `fd`.
func say(_ fd: Int32, _ text: String) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n <= 0 { return }
        bytes = bytes.dropFirst(n)
    }
}

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

let t0 = now()
// --separate: discovery, then the scan; by default MachinePeerMap.discover (overlapped).
let (spaces, map): ([DiscoveredNamespace], MachinePeerMap)
var t1 = t0
if separate {
    spaces = (try? NamespaceInventory.discover()) ?? []
    t1 = now()
    map = MachinePeerMap.scan(spaces, threads: threads)
} else {
    (spaces, map) = (try? MachinePeerMap.discover(threads: threads)) ?? ([], MachinePeerMap(pairs: [], readings: [:], failures: [:]))
}
let t2 = now()
let nameOf = Dictionary(uniqueKeysWithValues: spaces.map { ($0.id, $0.names.first?.rawValue) })
func quoted(_ s: String) -> String {
    var o = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": o += "\\\""
        case "\\": o += "\\\\"
        case _ where u.value < 0x20: o += "\\u" + String(repeating: "0", count: 4 - String(u.value, radix: 16).count) + String(u.value, radix: 16)
        default: o.unicodeScalars.append(u)
        }
    }
    return o + "\""
}
func end(_ e: MachineVethEnd) -> String {
    let ns = nameOf[e.namespace].flatMap { $0 }.map(quoted) ?? "null"
    return "{\"namespace\":\(quoted(e.namespace.description)),\"name\":\(ns),\"ifname\":\(quoted(e.name)),\"ifindex\":\(e.index),\"up\":\(e.isUp)}"
}
var out = "[\n"
for (i, p) in map.pairs.enumerated() {
    out += "{\"end\":\(end(p.end)),\"peer\":\(p.peer.map(end) ?? "null"),\"peerIndex\":\(p.peerIndex.map { "\($0)" } ?? "null")}"
    out += i + 1 < map.pairs.count ? ",\n" : "\n"
}
out += "]\n"
say(1, out)
let t3 = now()
if timings {
    func ms(_ s: Double) -> String { "\(Int((s * 1e6).rounded()) / 1000).\(String(Int((s * 1e6).rounded()) % 1000 + 1000).dropFirst()) ms" }
    say(2, "namespaces \(spaces.count) pairs \(map.pairs.count) failures \(map.failures.count): find \(ms(t1 - t0)), scan \(ms(t2 - t1)), json \(ms(t3 - t2))\n")
}
