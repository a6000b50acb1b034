import ArgumentParser

/// The kind options of `link add` (vlan, macvlan, ipvlan, vxlan), declared once. Values are
/// read as text (`parsing: .unconditional` for numbers, so `--id -1` reaches vethctl and is
/// refused naming "-1") and checked by ``KindOptions`` before any syscall.
struct KindArguments: ParsableArguments {
    @Option(name: .customLong("link"), help: ArgumentHelp("The parent of a vlan, macvlan or ipvlan.", valueName: "parent"))
    var link: String?
    @Option(parsing: .unconditional, help: "A vlan's id (1..4094) or a vxlan's VNI (0..16777215).") var id: String?
    @Option(name: .customLong("protocol"), help: "A vlan's tag protocol: 802.1Q (default) or 802.1ad.") var tagProtocol: String?
    @Option(help: "A macvlan's mode (bridge, private, vepa, passthru) or an ipvlan's (l2, l3, l3s).") var mode: String?
    @Option(help: "A vxlan's unicast peer.") var remote: String?
    @Option(help: "A vxlan's source address.") var local: String?
    @Option(parsing: .unconditional, help: "A vxlan's UDP destination port (default 4789).") var dstport: String?
    @Option(help: ArgumentHelp("A vxlan's underlay device.", valueName: "parent")) var dev: String?
    @Flag(help: "A vxlan learns remote MAC addresses (the default).") var learning = false
    @Flag(help: "A vxlan does not learn remote MAC addresses.") var nolearning = false

    var options: KindOptions {
        KindOptions(link: link, id: id, protocol: tagProtocol, mode: mode, remote: remote, local: local, dstport: dstport,
                    dev: dev, learning: learning ? true : nolearning ? false : nil, learningTwice: learning && nolearning)
    }
}
