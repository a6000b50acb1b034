import CLinuxUAPI
import Netlink

extension NetHandle {
    /// Sends resolved batch operations, one result each. Impairments become their qdisc
    /// requests first (``impairmentPlan(_:root:linkName:)``: one step, or two for a change of
    /// kind), planned from one RTM_GETQDISC dump for the whole batch. As for a missing link,
    /// nothing is sent when one impairment cannot be done: a user's root qdisc throws
    /// ``QdiscNotOurs``, a kind the kernel lacks ``QdiscKindUnavailable``.
    func performResolved(_ ops: [NetworkBatch.Operation], perSend: Int) throws -> [Result<Void, KernelError>] {
        let impairs = ops.contains { if case .impair = $0 { return true } else { return false } }
        guard impairs else {
            return try socket.requestBatch(count: ops.count, perSend: perSend) { i, m in try ops[i].encode(into: &m) }
        }
        var kinds: [String: Bool] = [:]
        var roots: [Int32: Qdisc] = [:]
        for q in try qdiscs() where q.isRoot { roots[q.linkIndex] = q }
        // Each request: the operation it belongs to, and what it is.
        var requests: [(op: Int, step: ImpairmentStep?, linkIndex: Int32)] = []
        requests.reserveCapacity(ops.count)
        for (i, op) in ops.enumerated() {
            guard case .impair(let link, let impairment) = op else {
                requests.append((i, nil, 0))
                continue
            }
            let index = link.resolvedIndex
            guard let options = impairment.qdiscOptions else {
                if let root = roots[index], !root.isKernelDefault {
                    guard root.isVethKit else { throw QdiscNotOurs(link: link.description, kind: root.kind, handle: root.handle) }
                    requests.append((i, .deleteOurs, index))
                }
                continue
            }
            if kinds[options.kind] == nil {
                kinds[options.kind] = TrafficControl.probe(options.kind, on: socket) ?? TrafficControl.inModuleFiles(options.kind)
            }
            guard kinds[options.kind] == true else { throw QdiscKindUnavailable(kind: options.kind, neededFor: impairment.description) }
            for step in try Self.impairmentPlan(options, root: roots[index], linkName: link.description) {
                requests.append((i, step, index))
            }
        }
        var results = [Result<Void, KernelError>](repeating: .success(()), count: ops.count)
        let sent = try socket.requestBatch(count: requests.count, perSend: perSend) { r, m in
            let q = requests[r]
            if let step = q.step { Self.encode(step, linkIndex: q.linkIndex, into: &m) } else { try ops[q.op].encode(into: &m) }
        }
        for (r, result) in sent.enumerated() {
            if case .failure = result, case .success = results[requests[r].op] { results[requests[r].op] = result }
        }
        return results
    }
}
