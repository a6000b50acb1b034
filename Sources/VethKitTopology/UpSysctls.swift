import VethKit

/// Phase 3 of `up`: sysctls of nodes that already exist (a new namespace gets its own from
/// inside, before any interface: see ``Run/prepareInside(node:)``), and host sysctls the file no
/// longer sets back to what they were before `up` first changed them.
extension Run {
    func sysctls() throws {
        try phase("sysctls")
        let records = TopologyRecords(topo.name)
        for step in plan.steps {
            if case .restoreSysctl(let node, let key, let value, _) = step, node == Topology.hostNode {
                do {
                    var r = try records.sysctls()
                    // Only if it still has the value vethkit wrote (else someone changed it since: theirs).
                    if let rec = r[key], try Sysctl.read(key) == rec.set { try Sysctl.write(key, value) }
                    r[key] = nil
                    try records.writeSysctls(r)
                } catch { throw fail(plan.describe(step), error) }
                continue
            }
            guard case .setSysctl(let node, let key, let value, _) = step, !newNodes.contains(node) else { continue }
            do {
                let write: () throws -> Void = { [self] in
                    let old = try Sysctl.read(key)
                    if node == Topology.hostNode {
                        // The host outlives the topology: remember the value before the first
                        // change (recorded before writing), so down and a later up can restore it.
                        var r = try records.sysctls()
                        r[key] = TopologyRecords.SysctlRecord(old: r[key]?.old ?? old, set: value)
                        try records.writeSysctls(r)
                    }
                    try Sysctl.write(key, value)
                    undo.append(.restoreSysctl(node: node, key: key, value: old))
                }
                if let ns = try space(node) { try ns.run(write) } else { try write() }
            } catch { throw fail(plan.describe(step), error) }
        }
    }
}
