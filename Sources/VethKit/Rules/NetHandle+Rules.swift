import CLinuxUAPI
import Netlink

extension NetHandle {
    /// The policy rules of `family` (AF_INET or AF_INET6), in the order the kernel tries them:
    /// `ip rule show` (`ip -6 rule show`).
    public func rules(family: AddressFamily = .inet) throws -> [Rule] {
        var m = MessageWriter(type: UInt16(RTM_GETRULE))
        var h = fib_rule_hdr()
        h.family = family.rawValue
        m.append(header: h)
        return try socket.dump(m).compactMap { m in
            guard m.type == UInt16(RTM_NEWRULE) else { return nil }
            let r = try Rule(message: m)
            return family == .unspecified || r.family == family ? r : nil
        }
    }

    /// Adds a policy rule (`ip rule add`), checked first (``Rule/validate(forDelete:)``). Throws
    /// ``AlreadyExists``-category errors when the same rule is there (the kernel refuses duplicates).
    public func addRule(_ rule: Rule) throws {
        try rule.validate()
        var m = MessageWriter(capacity: 160)
        rule.encode(Int32(RTM_NEWRULE), into: &m)
        try socket.request(m)
    }

    /// Deletes exactly the rule `rule` describes (`ip rule del`), and no other. The kernel deletes
    /// the first rule that matches what a request gives (what it leaves out matching anything), so
    /// this first finds that rule and deletes it only when it is the one meant: every field alike
    /// (the priority too when `rule` gives one; without one, refused when several rules differ only
    /// by it), or the only rule the request matches. Throws
    /// ``NotFound`` when no rule is meant, ``RuleDeleteAmbiguous`` when the kernel would take another.
    public func deleteRule(_ rule: Rule) throws {
        try rule.validate(forDelete: true)
        let all = try rules(family: rule.family)
        let matching = all.filter { rule.kernelDeleteMatches($0) }
        // Without a priority, two rules alike but for it are both "the rule named": refused.
        let exactly = all.filter { rule.sameRule(as: $0) }
        if rule.priority == nil && exactly.count > 1 { throw RuleDeleteAmbiguous(rule: nil, first: exactly[0], count: exactly.count) }
        guard let first = matching.first, first.sameRule(as: rule) || matching.count == 1 else {
            if let exact = exactly.first, let first = matching.first {
                throw RuleDeleteAmbiguous(rule: exact, first: first)
            }
            if matching.count > 1 { throw RuleDeleteAmbiguous(rule: nil, first: matching[0], count: matching.count) }
            throw NotFound(.rule, rule.priority.map { "priority \($0)" } ?? "\(rule.action)", in: placeName)
        }
        // The rule found, with its priority: nothing before it matches (it was the first).
        var exact = rule
        exact.priority = first.priority
        var m = MessageWriter(capacity: 160)
        exact.encode(Int32(RTM_DELRULE), into: &m)
        do {
            try socket.request(m)
        } catch let e as KernelError where e.errno == .noSuchFileOrDirectory {
            throw NotFound(.rule, "priority \(first.priority ?? 0)", in: placeName)
        }
    }
}

/// `deleteRule` refused: the kernel would delete another rule than the one named (one that
/// comes first and matches what the request gives), or the request names several rules.
public struct RuleDeleteAmbiguous: CategorizedError, CustomStringConvertible, Sendable {
    /// The rule named, when one is exactly so.
    public let rule: Rule?
    /// The rule the kernel would delete.
    public let first: Rule
    /// How many rules the request matches.
    public var count = 1
    public var category: ErrorCategory { .notOurs }
    public var description: String {
        if rule != nil {
            return "the kernel would delete the rule of priority \(first.priority ?? 0) first (it matches too): give the rule's priority and more of its selectors; nothing deleted"
        }
        return "the request matches \(count) rules (the first of priority \(first.priority ?? 0)): give the priority or more selectors; nothing deleted"
    }
}
