import CLinuxUAPI

/// What a policy rule does with a packet it selects (`fib_rule_hdr.action`, FR_ACT_* in
/// linux/fib_rules.h): look the route up in a table, jump to another rule, do nothing, or drop.
public enum RuleAction: Hashable, Sendable {
    /// FR_ACT_TO_TBL: look the route up in this table (`ip rule … lookup T`).
    case lookup(RouteTable)
    /// FR_ACT_GOTO: go on with the rule of this priority (`goto N`).
    case goto(UInt32)
    /// FR_ACT_NOP: nothing (`nop`).
    case nop
    /// FR_ACT_BLACKHOLE: drop silently.
    case blackhole
    /// FR_ACT_UNREACHABLE: drop, "network unreachable".
    case unreachable
    /// FR_ACT_PROHIBIT: drop, "administratively prohibited".
    case prohibit
    /// An action this version does not name.
    case other(UInt8)

    /// The FR_ACT_* number.
    public var code: UInt8 {
        switch self {
        case .lookup: UInt8(FR_ACT_TO_TBL)
        case .goto: UInt8(FR_ACT_GOTO)
        case .nop: UInt8(FR_ACT_NOP)
        case .blackhole: UInt8(FR_ACT_BLACKHOLE)
        case .unreachable: UInt8(FR_ACT_UNREACHABLE)
        case .prohibit: UInt8(FR_ACT_PROHIBIT)
        case .other(let n): n
        }
    }

    /// The action of FR_ACT_* `code`, with the table and goto target the message carried.
    public init(code: UInt8, table: RouteTable, target: UInt32?) {
        switch Int(code) {
        case Int(FR_ACT_TO_TBL): self = .lookup(table)
        case Int(FR_ACT_GOTO): self = .goto(target ?? 0)
        case Int(FR_ACT_NOP): self = .nop
        case Int(FR_ACT_BLACKHOLE): self = .blackhole
        case Int(FR_ACT_UNREACHABLE): self = .unreachable
        case Int(FR_ACT_PROHIBIT): self = .prohibit
        default: self = .other(code)
        }
    }

    /// The drop actions and nop by iproute2's words, as `--action` takes them.
    public static let words: [(String, RuleAction)] = [("blackhole", .blackhole), ("unreachable", .unreachable), ("prohibit", .prohibit), ("nop", .nop)]

    /// The table looked up, for `.lookup`.
    public var table: RouteTable? { if case .lookup(let t) = self { t } else { nil } }
}
