import CLinuxUAPI
import Netlink

/// What a qdisc is and its options: netem and tbf are modelled; any other kind is carried by name.
public enum QdiscOptions: Hashable, Sendable {
    case netem(Netem)
    case tbf(TokenBucket)
    /// A kind VethKit does not model (`fq_codel`, `htb`…); adding one sends TCA_KIND alone.
    case other(kind: String)

    /// The kind's name (TCA_KIND).
    public var kind: String {
        switch self {
        case .netem: "netem"
        case .tbf: "tbf"
        case .other(let k): k
        }
    }

    /// Checks the options before anything is sent (``InvalidInput``).
    public func validate() throws {
        switch self {
        case .netem(let n): try n.validate()
        case .tbf(let t): try t.validate()
        case .other(let k):
            guard !k.isEmpty, k.utf8.count < 16, k.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
                throw InvalidInput("qdisc kind", k, "expected a kernel qdisc name (at most 15 printable characters)")
            }
        }
    }

    /// TCA_KIND and TCA_OPTIONS (`complete`: see ``Netem``'s encoding, for a change in place).
    func encode(into m: inout MessageWriter, complete: Bool = false) {
        m.attribute(UInt16(TCA_KIND), string: kind)
        switch self {
        case .netem(let n): n.encodeOptions(into: &m, complete: complete)
        case .tbf(let t): t.encodeOptions(into: &m)
        case .other: break
        }
    }
}
