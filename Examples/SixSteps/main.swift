// The seed's six steps with VethKit's public API only (docs/library.md shows the core):
//   1. a veth pair    2. a namespace    3. one end moved into it
//   4. its address    5. its default route    6. the other end on a bridge holding the gateway
//
//   SixSteps up   [NAMESPACE HOST-END PEER-END BRIDGE]   (default: t1 veth1 veth2 br0)
//   SixSteps down [NAMESPACE HOST-END PEER-END BRIDGE]
//
// Run it as root, in a namespace of its own if the machine's network matters (scripts/sandbox).
import Glibc  // exit(3) only
import VethKit

/// Throws the first refusal of a batch: each operation has a result of its own.
func check(_ results: [Result<Void, KernelError>], _ what: String) throws {
    for (i, r) in results.enumerated() {
        if case .failure(let e) = r { throw StepFailed(step: "\(what), operation \(i + 1)", error: e) }
    }
}

struct StepFailed: Error, CustomStringConvertible {
    var step: String
    var error: any Error
    var description: String { "\(step): \(error)" }
}

func up(namespace: NamespaceName, hostEnd: InterfaceName, peerEnd: InterfaceName, bridge: InterfaceName) throws {
    let host = try NetHandle()
    try host.addLink(.veth(hostEnd, peer: peerEnd))                           // 1. the pair
    let t1 = try NetworkNamespace.create(namespace)                          // 2. the namespace
    try host.setLink(.name(peerEnd), LinkChange(namespace: t1))              // 3. one end moves

    // 6. the bridge with the gateway address, the host end on it: one batch (one sendmsg).
    var bridgeSpec = LinkSpec.bridge(bridge)
    bridgeSpec.attributes.up = true
    try host.addLink(bridgeSpec)
    var hostSide = NetworkBatch()
    hostSide.addAddress(try IPNetwork("192.168.1.1/24"), to: .name(bridge))
    hostSide.setLink(.name(hostEnd), LinkChange(up: true, master: .set(.name(bridge))))
    try check(host.perform(hostSide), "bridge \(bridge)")

    // 4. and 5. inside the namespace, through a handle opened there: one batch.
    let inside = try NetHandle(namespace: t1)
    var t1Side = NetworkBatch()
    t1Side.setLink(.name(try InterfaceName("lo")), LinkChange(up: true))
    t1Side.setLink(.name(peerEnd), LinkChange(up: true))
    t1Side.addAddress(try IPNetwork("192.168.1.200/24"), to: .name(peerEnd))
    t1Side.addRoute(.defaultRoute(via: try IPAddress(parsing: "192.168.1.1")))
    try check(inside.perform(t1Side), "namespace \(namespace)")

    // Carrier and the bridge port take a moment: wait until both ends pass packets.
    let late = try host.waitUntilRunning([hostEnd, bridge]) + inside.waitUntilRunning([peerEnd])
    if !late.isEmpty { print("still not running: \(late.map(\.rawValue))") }
    for r in try inside.routes() {
        print("\(namespace): \(r.destinationText) via \(r.gateway.map { "\($0)" } ?? "-") proto \(r.protocol) scope \(r.scope)")
    }
}

func down(namespace: NamespaceName, hostEnd: InterfaceName, bridge: InterfaceName) throws {
    let host = try NetHandle()
    // Deleting the namespace deletes the veth end inside, and with it the host end.
    do { try NetworkNamespace.delete(namespace) } catch let e as NotFound where e.kind == .namespace {}
    for link in [hostEnd, bridge] {
        do { try host.deleteLink(.name(link)) } catch let e as NotFound where e.kind == .link {}
    }
}

let args = Array(CommandLine.arguments.dropFirst())
do {
    guard let verb = args.first, verb == "up" || verb == "down", args.count == 1 || args.count == 5 else {
        print("usage: SixSteps up|down [NAMESPACE HOST-END PEER-END BRIDGE]")
        exit(2)
    }
    let names = args.count == 5 ? Array(args[1...]) : ["t1", "veth1", "veth2", "br0"]
    let namespace = try NamespaceName(names[0])
    let (hostEnd, peerEnd, bridge) = (try InterfaceName(names[1]), try InterfaceName(names[2]), try InterfaceName(names[3]))
    if verb == "up" {
        try up(namespace: namespace, hostEnd: hostEnd, peerEnd: peerEnd, bridge: bridge)
    } else {
        try down(namespace: namespace, hostEnd: hostEnd, bridge: bridge)
    }
} catch {
    print("SixSteps: \(error)")
    // Errors carry a category: bad input is 2, anything else 1 (as vethctl).
    exit(ErrorCategory.of(error) == .invalidInput ? 2 : 1)
}
