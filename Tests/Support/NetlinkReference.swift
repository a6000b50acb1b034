/// An independent, deliberately simple reading of the netlink framing rules (netlink(7),
/// include/uapi/linux/netlink.h: NLMSG_ALIGN, NLA_ALIGN, NLA_TYPE_MASK), written from the header
/// and not from the product's code: the oracle the property tests compare the decoder against.
public enum ReferenceDecoder {
    public struct Message: Equatable, Sendable { public var type: UInt16, flags: UInt16, sequence: UInt32, portID: UInt32, payload: Range<Int>
        public init(type: UInt16, flags: UInt16, sequence: UInt32, portID: UInt32, payload: Range<Int>) {
            (self.type, self.flags, self.sequence, self.portID, self.payload) = (type, flags, sequence, portID, payload)
        }
    }
    public struct Attr: Equatable, Sendable {
        public var type: UInt16, value: Range<Int>
        public init(type: UInt16, value: Range<Int>) { (self.type, self.value) = (type, value) }
    }

    static func u16(_ b: ArraySlice<UInt8>, _ i: Int) -> UInt16 { UInt16(b[i]) | UInt16(b[i + 1]) << 8 }
    static func u32(_ b: ArraySlice<UInt8>, _ i: Int) -> UInt32 { UInt32(u16(b, i)) | UInt32(u16(b, i + 2)) << 16 }

    /// The messages of a datagram, or nil when a length does not fit.
    public static func messages(_ b: [UInt8]) -> [Message]? {
        var out: [Message] = []
        var i = 0
        while b.count - i >= 16 {
            let len = Int(u32(b[...], i))
            if len < 16 || len > b.count - i { return nil }
            out.append(Message(type: u16(b[...], i + 4), flags: u16(b[...], i + 6), sequence: u32(b[...], i + 8),
                               portID: u32(b[...], i + 12), payload: (i + 16)..<(i + len)))
            i += (len + 3) & ~3
        }
        return out
    }

    /// The attributes in `b`, or nil when a length does not fit (a tail under 4 bytes is ignored).
    public static func attributes(_ b: ArraySlice<UInt8>) -> [Attr]? {
        var out: [Attr] = []
        var i = b.startIndex
        while b.endIndex - i >= 4 {
            let len = Int(u16(b, i))
            if len < 4 || len > b.endIndex - i { return nil }
            out.append(Attr(type: u16(b, i + 2) & 0x3fff, value: (i + 4)..<(i + len)))
            i += (len + 3) & ~3
        }
        return out
    }

    /// The size of the fixed header before the attributes of a message of `type` (rtnetlink.h):
    /// ifinfomsg 16 (links), ifaddrmsg 8 (addresses), rtmsg 12 (routes); nil for others.
    public static func fixedHeader(_ type: UInt16) -> Int? {
        switch type {
        case 16...19: 16
        case 20...23: 8
        case 24...27: 12
        default: nil
        }
    }
}

/// Mutates valid netlink datagrams the ways a broken or hostile peer would: bit flips, byte
/// changes, truncation, edits of nlmsg_len and nla_len, and attribute splicing (inserting another
/// message's attribute, deleting or duplicating one), with the enclosing lengths fixed up most of
/// the time so that the mutant gets past the framing checks and reaches the deep decoders.
public enum NetlinkMutator {
    /// Where a length field sits: its offset and width (4 for nlmsg_len, 2 for nla_len).
    public struct LengthField: Sendable { public var offset: Int, width: Int }

    /// One attribute of a datagram: its bytes (header to aligned end) and the length fields of
    /// everything that encloses it (the message, then the nests from outside in).
    public struct Span: Sendable {
        public var start: Int, end: Int
        public var parents: [LengthField]
    }

    /// The attributes of `b`, nested ones included (a value that parses exactly as attributes is
    /// taken for a nest).
    public static func spans(_ b: [UInt8]) -> [Span] {
        guard let msgs = ReferenceDecoder.messages(b) else { return [] }
        var out: [Span] = []
        func walk(_ range: Range<Int>, _ parents: [LengthField], depth: Int) {
            guard depth < 8, let attrs = ReferenceDecoder.attributes(b[range]) else { return }
            for a in attrs {
                let start = a.value.lowerBound - 4
                let end = min(range.upperBound, start + ((a.value.count + 4 + 3) & ~3))
                out.append(Span(start: start, end: end, parents: parents))
                if a.value.count >= 4, let inner = ReferenceDecoder.attributes(b[a.value]), !inner.isEmpty {
                    walk(a.value, parents + [LengthField(offset: start, width: 2)], depth: depth + 1)
                }
            }
        }
        for m in msgs {
            guard let h = ReferenceDecoder.fixedHeader(m.type), m.payload.count >= h else { continue }
            walk((m.payload.lowerBound + h)..<m.payload.upperBound, [LengthField(offset: m.payload.lowerBound - 16, width: 4)], depth: 0)
        }
        return out
    }

    static func read(_ b: [UInt8], _ f: LengthField) -> Int {
        (0..<f.width).reduce(0) { $0 | Int(b[f.offset + $1]) << (8 * $1) }
    }

    static func write(_ b: inout [UInt8], _ f: LengthField, _ v: Int) {
        for i in 0..<f.width { b[f.offset + i] = UInt8(truncatingIfNeeded: v >> (8 * i)) }
    }

    /// Adds `delta` to every length field in `fields`.
    static func adjust(_ b: inout [UInt8], _ fields: [LengthField], by delta: Int) {
        for f in fields where f.offset + f.width <= b.count { write(&b, f, read(b, f) + delta) }
    }

    /// One mutant of `original` and the name of what was done; `donors` supply spliced attributes.
    public static func mutate(_ original: [UInt8], donors: [[UInt8]], using rng: inout SplitMix64) -> (bytes: [UInt8], kind: String) {
        var b = original
        guard !b.isEmpty else { return (b, "empty") }
        let spans = spans(b)
        let fix = Int.random(in: 0..<4, using: &rng) != 0
        switch Int.random(in: 0..<9, using: &rng) {
        case 0:
            b[Int.random(in: 0..<b.count, using: &rng)] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
            return (b, "bit flip")
        case 1:
            b[Int.random(in: 0..<b.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            return (b, "byte")
        case 2:
            return (Array(b.prefix(Int.random(in: 0..<b.count, using: &rng))), "truncation")
        case 3:
            guard let msgs = ReferenceDecoder.messages(b), let m = msgs.randomElement(using: &rng) else { return (b, "none") }
            let f = LengthField(offset: m.payload.lowerBound - 16, width: 4)
            let len = read(b, f)
            let choices = [len + Int.random(in: -8...8, using: &rng), 0, 15, 16, 0xffff_ffff, Int.random(in: 0...(b.count + 8), using: &rng)]
            write(&b, f, choices.randomElement(using: &rng)!)
            return (b, "nlmsg_len")
        case 4:
            guard let s = spans.randomElement(using: &rng) else { return (b, "none") }
            let f = LengthField(offset: s.start, width: 2)
            let len = read(b, f)
            let choices = [len + Int.random(in: -6...6, using: &rng), 0, 3, 4, 0xffff, Int.random(in: 0...0xffff, using: &rng)]
            write(&b, f, choices.randomElement(using: &rng)!)
            return (b, "nla_len")
        case 5, 6:
            // Splice an attribute of a donor in before or after one of ours.
            guard let s = spans.randomElement(using: &rng), let donor = donors.randomElement(using: &rng),
                  let d = Self.spans(donor).randomElement(using: &rng) else { return (b, "none") }
            let piece = Array(donor[d.start..<d.end])
            let at = Bool.random(using: &rng) ? s.start : s.end
            b.insert(contentsOf: piece, at: at)
            if fix { adjust(&b, s.parents.filter { $0.offset < at }, by: piece.count) }
            return (b, fix ? "splice" : "splice (lengths stale)")
        case 7:
            guard let s = spans.randomElement(using: &rng) else { return (b, "none") }
            b.removeSubrange(s.start..<s.end)
            if fix { adjust(&b, s.parents, by: -(s.end - s.start)) }
            return (b, fix ? "delete attribute" : "delete attribute (lengths stale)")
        default:
            guard let s = spans.randomElement(using: &rng) else { return (b, "none") }
            b.insert(contentsOf: Array(b[s.start..<s.end]), at: s.end)
            if fix { adjust(&b, s.parents, by: s.end - s.start) }
            return (b, fix ? "duplicate attribute" : "duplicate attribute (lengths stale)")
        }
    }
}
