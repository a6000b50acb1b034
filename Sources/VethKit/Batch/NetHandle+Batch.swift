import CLinuxUAPI
import Netlink

extension NetHandle {
    /// Sends every operation of `batch`, `perSend` requests per `sendmsg`, and returns one result
    /// per operation, in order: `.success` or the kernel's refusal. A refusal does not stop the
    /// others. Validation errors and links named by name that do not exist throw before anything
    /// is sent. A veth whose peer is marked `up` gets its peer brought up afterwards (see
    /// ``addLink(_:)``); if that fails, the pair is deleted again and its result is the failure.
    public func perform(_ batch: NetworkBatch, perSend: Int = 64) throws -> [Result<Void, KernelError>] {
        guard !batch.isEmpty else { return [] }
        for op in batch.operations { try op.validate() }
        let ops = try resolvingNames(batch.operations)
        var results = try performResolved(ops, perSend: perSend)
        for (i, op) in batch.operations.enumerated() {
            guard case .addLink(let spec) = op, case .success = results[i] else { continue }
            do { try finishCreation(spec) } catch {
                results[i] = .failure(error as? KernelError ?? KernelError(errno: .invalidArgument, message: "\(error)"))
            }
        }
        return results
    }

    /// The operations with every link named by name (except in deletes; masters, and parents of
    /// vlans, macvlans, ipvlans and vxlans included) given by index: names
    /// the batch itself creates with a chosen index map to it; the others are looked up (one
    /// RTM_GETLINK each for a few, one dump for many). Throws ``NotFound`` for a missing one.
    func resolvingNames(_ ops: [NetworkBatch.Operation]) throws -> [NetworkBatch.Operation] {
        var known: [InterfaceName: Int32] = [:]
        var wanted = Set<InterfaceName>()
        func want(_ r: LinkReference?) { if case .name(let n)? = r { wanted.insert(n) } }
        for op in ops {
            switch op {
            case .addLink(let s):
                if s.attributes.namespace == nil, let i = s.attributes.index { known[s.attributes.name] = i }
                if s.attributes.namespace == nil { want(s.attributes.master) }
                want(s.kind.parent)  // in this namespace even when the link goes elsewhere
            case .setLink(let l, let c):
                want(l)
                if case .set(let m)? = c.master { want(m) }
            case .addAddress(_, let l, _, _), .deleteAddress(_, let l): want(l)
            case .addRoute(let r), .deleteRoute(let r, _):
                want(r.device)
                for n in r.nexthops { want(n.device) }
            case .addQdisc(_, let l, _, _, _), .deleteQdisc(let l, _, _), .impair(let l, _): want(l)
            case .deleteLink: break
            }
        }
        wanted.subtract(known.keys)
        if wanted.count > 4 {
            for l in try linksWithoutStatistics() {
                if let n = try? InterfaceName(l.name), wanted.contains(n) { known[n] = l.index }
            }
        } else {
            for n in wanted { if let l = try linkIfPresent(named: n) { known[n] = l.index } }
        }
        if let missing = wanted.first(where: { known[$0] == nil }) { throw NotFound.link(missing.rawValue, in: placeName) }
        func resolve(_ r: LinkReference) -> LinkReference {
            if case .name(let n) = r, let i = known[n] { return .index(i) }
            return r
        }
        return try ops.map { op in
            switch op {
            case .addLink(let s): return .addLink(try resolvingMasters(s, known: known))
            case .setLink(let l, var c):
                if case .set(let m)? = c.master { c.master = .set(resolve(m)) }
                return .setLink(resolve(l), c)
            case .addAddress(let a, let l, let noDAD, let p): return .addAddress(a, resolve(l), noDAD: noDAD, protocol: p)
            case .deleteAddress(let a, let l): return .deleteAddress(a, resolve(l))
            case .addRoute(var r):
                r.device = r.device.map(resolve)
                r.nexthops = r.nexthops.map { var n = $0; n.device = n.device.map(resolve); return n }
                return .addRoute(r)
            case .deleteRoute(var r, let matching):
                r.device = r.device.map(resolve)
                r.nexthops = r.nexthops.map { var n = $0; n.device = n.device.map(resolve); return n }
                return .deleteRoute(r, matchingProtocol: matching)
            case .addQdisc(let o, let l, let p, let h, let r): return .addQdisc(o, resolve(l), parent: p, handle: h, replace: r)
            case .deleteQdisc(let l, let p, let h): return .deleteQdisc(resolve(l), parent: p, handle: h)
            case .impair(let l, let i): return .impair(resolve(l), i)
            case .deleteLink: return op
            }
        }
    }
}

extension NetworkBatch.Operation {
    /// Writes the operation's request as the next message of `m`, straight into the datagram
    /// (every link named by name, except in a delete, resolved to its index first).
    func encode(into m: inout MessageWriter) throws {
        switch self {
        case .addLink(let spec): try spec.encode(into: &m)
        case .setLink(let link, let change): try change.encode(index: link.resolvedIndex, into: &m)
        case .deleteLink(let link): NetHandle.encodeDelete(link, into: &m)
        case .addAddress(let a, let link, let noDAD, let p):
            Address.encode(Int32(RTM_NEWADDR), a, linkIndex: link.resolvedIndex, noDAD: noDAD, protocol: p, into: &m)
        case .deleteAddress(let a, let link):
            Address.encode(Int32(RTM_DELADDR), a, linkIndex: link.resolvedIndex, into: &m)
        case .addRoute(let r): r.encode(Int32(RTM_NEWROUTE), deviceIndex: r.device?.resolvedIndex, into: &m)
        case .deleteRoute(let r, let matching):
            r.encode(Int32(RTM_DELROUTE), deviceIndex: r.device?.resolvedIndex, matchingProtocol: matching, into: &m)
        case .addQdisc(let o, let l, let p, let h, let replace):
            NetHandle.encodeAddQdisc(o, linkIndex: l.resolvedIndex, parent: p, handle: h, replace: replace, complete: replace, into: &m)
        case .deleteQdisc(let l, let p, let h): NetHandle.encodeDeleteQdisc(linkIndex: l.resolvedIndex, parent: p, handle: h, into: &m)
        case .impair: preconditionFailure("impairments are planned into qdisc requests before encoding")
        }
    }
}

extension LinkReference {
    /// The index of a reference already resolved by ``NetHandle``.
    var resolvedIndex: Int32 {
        switch self {
        case .index(let i): i
        case .name: preconditionFailure("link \(self) was not resolved before encoding")
        }
    }
}
