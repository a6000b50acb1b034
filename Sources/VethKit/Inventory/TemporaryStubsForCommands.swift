// TEMPORARY (ns-commands only): H2's MachinePeerMap.discover(options:) is not on ns-peers yet;
// this is the one-line composition the brief describes. Deleted when ns-peers brings its own.

extension MachinePeerMap {
    public static func discover(options: NamespaceInventory.Options = .init()) throws -> (namespaces: [DiscoveredNamespace], map: MachinePeerMap) {
        let n = try NamespaceInventory.discover(options: options)
        return (n, scan(n))
    }
}
