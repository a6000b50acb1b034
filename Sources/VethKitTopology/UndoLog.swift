import Synchronization
import VethKit

/// One thing a run of `up` did that rollback can take back, recorded right after the kernel
/// accepted it. Deletions are not undoable (a removed object is gone): the plan does them first.
enum UndoStep: Sendable, Equatable, CustomStringConvertible {
    /// A namespace this run created (its veths, and their host ends, go with it).
    case removeNamespace(String)
    /// A host link this run created, under its final or a temporary name.
    case removeHostLink(String)
    /// A link this run created in a namespace that existed before.
    case removeLink(node: String, name: String)
    /// An address this run added to a link that existed before.
    case removeAddress(node: String, interface: String, address: IPNetwork)
    /// A route this run added in a node that existed before.
    case removeRoute(node: String, route: Topology.Route)
    /// A sysctl of a node that existed before, with the value it had.
    case restoreSysctl(node: String, key: String, value: String)
    /// The settings a link edit changed, with the values they had.
    case restoreLinkEdit(node: String, name: String, old: Plan.LinkEdit)
    /// A masquerade rule this run added.
    case removeMasquerade(node: String, source: IPNetwork)
    /// A kind link's options this run changed in place, with what they were (only the fields it changed).
    case restoreKindOptions(node: String, name: String, old: Topology.KindLink.Options)
    /// A veth end's root qdisc this run set, replaced or removed, with what held it before
    /// (nil: the kernel's default, so VethKit's is removed).
    case restoreEgress(node: String, interface: String, old: LiveState.Egress?)

    /// Undone together with neighbours of the same kind (see ``UndoLog/replayOrder()``):
    /// deleting a namespace or a host link destroys whole veth pairs, in any order.
    var isBulkRemoval: Bool {
        switch self {
        case .removeNamespace, .removeHostLink: true
        default: false
        }
    }

    /// What it undoes, for rollback problems: `namespace t-a`, `route t1: default via 10.0.0.1`.
    var description: String {
        switch self {
        case .removeNamespace(let ns): "namespace \(ns)"
        case .removeHostLink(let name): "host link \(name)"
        case .removeLink(let node, let name): "link \(node)/\(name)"
        case .removeAddress(let node, let i, let a): "address \(a) on \(node)/\(i)"
        case .removeRoute(let node, let r): "route \(node): \(r)"
        case .restoreSysctl(let node, let key, _): "sysctl \(node): \(key)"
        case .restoreLinkEdit(let node, let name, _): "link \(node)/\(name)"
        case .removeMasquerade(let node, let source): "masquerade \(source) in \(node)"
        case .restoreKindOptions(let node, let name, let old): "\(old.kindName) options of \(node)/\(name)"
        case .restoreEgress(let node, let i, _): "impairment of \(node)/\(i)"
        }
    }
}

/// The undo log of one run of `up`: steps appended as each succeeds (from any thread: the
/// namespace workers append in parallel), replayed newest first on failure.
final class UndoLog: Sendable {
    private let entries = Mutex<[UndoStep]>([])

    init() {}

    /// Records a step that succeeded.
    func append(_ step: UndoStep) {
        entries.withLock { $0.append(step) }
    }

    /// Records steps that succeeded, in order.
    func append(contentsOf steps: [UndoStep]) {
        guard !steps.isEmpty else { return }
        entries.withLock { $0 += steps }
    }

    /// Everything recorded, oldest first.
    var steps: [UndoStep] { entries.withLock { $0 } }

    var isEmpty: Bool { entries.withLock { $0.isEmpty } }

    /// The steps in the order rollback takes them: newest first, each run of neighbouring bulk
    /// removals (namespaces and host links, which parallel workers interleave) as one group, so
    /// that they go in a few requests (one delete by link group) rather than one by one. Every
    /// other group holds one step.
    func replayOrder() -> [[UndoStep]] {
        var groups: [[UndoStep]] = []
        var inBulk = false
        for step in steps.reversed() {
            // (Appending in place: binding the last group first would copy it for every step.)
            if step.isBulkRemoval && inBulk {
                groups[groups.count - 1].append(step)
            } else {
                groups.append([step])
            }
            inBulk = step.isBulkRemoval
        }
        return groups
    }

    /// Undoes every step through `undo`, group by group in ``replayOrder()``; a group that
    /// throws is a problem (`what: error`), and the replay goes on. Returns the problems.
    func replay(_ undo: ([UndoStep]) throws -> Void) -> [String] {
        var problems: [String] = []
        for group in replayOrder() {
            do { try undo(group) } catch {
                let what = group.count == 1 ? group[0].description : "\(group.count) namespaces and host links"
                problems.append("\(what): \(error)")
            }
        }
        return problems
    }
}
