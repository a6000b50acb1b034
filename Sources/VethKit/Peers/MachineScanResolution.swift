import Glibc
import Netlink

/// Finding the namespace of a veth peer that is neither in its end's namespace nor in the
/// caller's: IFLA_LINK_NETNSID is an id local to the end's namespace A, so A must be asked which
/// namespace it means. Candidates come first from the readings — namespaces B holding an end at
/// the peer's ifindex whose own IFLA_LINK points back at the end — so one RTM_GETNSID (NETNSA_FD
/// of B, on a socket in A) usually confirms a pair; A's questions go out in one datagram.
/// RTM_GETNSID never assigns an id (the kernel answers NETNSA_NSID_NOT_ASSIGNED instead).
struct MachineScanResolution {
    /// One veth end: the namespace's position in the scan and the veth's in its reading.
    struct End: Hashable, Comparable, Sendable {
        var space: Int
        var veth: Int
        static func < (a: End, b: End) -> Bool { (a.space, a.veth) < (b.space, b.veth) }
    }

    /// A question for namespace `end.space`: which of `candidates` is its id `id`?
    struct Question: Sendable {
        var end: End
        var id: Int32
        var candidates: [End]
    }

    let readings: [MachineScanReading?]
    let callerSpace: Int?
    /// Per namespace: ifindex → position in its reading's veths.
    let byIndex: [[Int32: Int]]

    init(readings: [MachineScanReading?], callerSpace: Int?) {
        self.readings = readings
        self.callerSpace = callerSpace
        byIndex = readings.map { r in
            var m: [Int32: Int] = [:]
            for (k, l) in (r?.veths ?? []).enumerated() { m[l.index] = k }
            return m
        }
    }

    func link(_ e: End) -> Link { readings[e.space]!.veths[e.veth] }

    /// The end at `index` in namespace `space` if it is a veth whose peer is `back` elsewhere.
    func end(in space: Int, index: Int32, pointingBackTo back: Int32, local: Bool) -> End? {
        guard let k = byIndex[space][index] else { return nil }
        let l = readings[space]!.veths[k]
        guard l.linkIndex == back, MachineScanReading.peerIsLocal(l) == local else { return nil }
        return End(space: space, veth: k)
    }

    /// Every end's peer that the readings alone settle: same-namespace pairs, and pairs with an
    /// end in the caller's namespace (its id there is known from the reading). Returns the peers
    /// found (both directions) and the ends whose peer's namespace is still unknown.
    func settleFromReadings() -> (peers: [End: End], open: [End]) {
        var peers: [End: End] = [:]
        var open: [End] = []
        for (i, r) in readings.enumerated() {
            guard let r else { continue }
            for (k, l) in r.veths.enumerated() {
                let e = End(space: i, veth: k)
                guard peers[e] == nil, let peerIndex = l.linkIndex else { continue }
                if MachineScanReading.peerIsLocal(l) {
                    if let p = end(in: i, index: peerIndex, pointingBackTo: l.index, local: true), p != e {
                        peers[e] = p
                        peers[p] = e
                    }
                } else if i == callerSpace {
                    continue   // settled from the other side, or unreachable
                } else if let c = callerSpace, readings[c] != nil, l.linkNetnsID == r.callersID {
                    if let p = end(in: c, index: peerIndex, pointingBackTo: l.index, local: false) {
                        peers[e] = p
                        peers[p] = e
                    }
                } else {
                    open.append(e)
                }
            }
        }
        return (peers, open)
    }

    /// The candidates for an open end's peer: ends elsewhere (not in the caller's namespace, whose
    /// pairs the readings settle) at its peer's ifindex pointing back at it.
    func candidates(for e: End) -> [End] {
        let l = link(e)
        guard let peerIndex = l.linkIndex else { return [] }
        var out: [End] = []
        for j in readings.indices where j != e.space && j != callerSpace && readings[j]?.namespace != nil {
            if let c = end(in: j, index: peerIndex, pointingBackTo: l.index, local: false) { out.append(c) }
        }
        return out
    }

    /// Settles the open ends by asking, `threads` workers at a time: a first round asks for one
    /// end of each plausible pair, a second round for every end still open. Ends whose peer's
    /// namespace was not read (or does not answer) stay without a peer.
    func resolve(_ open: [End], into peers: inout [End: End], threads: Int) {
        var asked = Set<End>()
        for round in 0..<2 {
            var covered = Set<End>()
            var questions: [Int: [Question]] = [:]
            for e in open where peers[e] == nil && !asked.contains(e) && (round == 1 || !covered.contains(e)) {
                let cands = candidates(for: e).filter { peers[$0] == nil }
                guard !cands.isEmpty, let id = link(e).linkNetnsID else { continue }
                questions[e.space, default: []].append(Question(end: e, id: id, candidates: cands))
                asked.insert(e)
                covered.formUnion(cands)
            }
            if questions.isEmpty { return }
            let spaces = questions.keys.sorted()
            let answers = MachineScanSlots<[Int: Int32]>(count: spaces.count)
            let jobs = spaces.map { s in (asker: readings[s]!.namespace!, questions: questions[s]!) }
            let others = readings.map { $0?.namespace }
            try? MachineScanWorkers.run(count: jobs.count, threads: threads) { n in
                answers[n] = Self.ask(jobs[n].asker, about: jobs[n].questions, namespaces: others)
            }
            for (n, s) in spaces.enumerated() {
                guard let ids = answers[n] else { continue }
                for q in questions[s]! where peers[q.end] == nil {
                    if let p = q.candidates.first(where: { ids[$0.space] == q.id && peers[$0] == nil }) {
                        peers[q.end] = p
                        peers[p] = q.end
                    }
                }
            }
        }
    }

    /// On a worker thread: enters `asker`, opens a socket there and asks, in one datagram, its id
    /// for every candidate's namespace. Nil when the namespace cannot be entered or asked.
    static func ask(_ asker: NetworkNamespace, about questions: [Question], namespaces: [NetworkNamespace?]) -> [Int: Int32]? {
        var spaces: [Int] = []
        var seen = Set<Int>()
        for q in questions { for c in q.candidates where seen.insert(c.space).inserted { spaces.append(c.space) } }
        do {
            try asker.enterOnCallingThread()
            let socket = try NetlinkSocket(readingOnly: ())
            let results = try socket.requestBatchWithReplies(count: spaces.count) { i, m in
                MachineScanRead.encodeNamespaceIDQuestion(namespaces[spaces[i]]!, into: &m)
            }
            var ids: [Int: Int32] = [:]
            for (i, r) in results.enumerated() {
                if case .success(let replies) = r, let id = try MachineScanRead.answer(replies) { ids[spaces[i]] = id }
            }
            return ids
        } catch {
            return nil
        }
    }
}
