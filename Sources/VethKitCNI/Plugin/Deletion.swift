import VethKitJSON
import VethKit

/// DEL, read on its own terms: only what DEL needs to find what ADD made — the network name, the
/// attachment (CNI_CONTAINERID + CNI_IFNAME), the IPAM (its type; the built-in one's `dataDir`; a
/// delegate's CNI_PATH) and whether `ipMasq` is `true`. Everything else (mtu, vlan, bridge,
/// ranges, routes, prevResult, cniVersion, CNI_NETNS, CNI_ARGS) is ignored: a runtime calls DEL
/// with the very configuration whose ADD was refused, and refusing the DEL for the same field
/// would strand the sandbox (issue 13; docs/cni.md "DEL").
///
/// When one of the fields DEL needs is itself invalid, ADD refused it before creating anything
/// (every input is validated before the first object is made), so there is nothing to remove:
/// DEL succeeds without touching anything and says why on stderr.
public struct Deletion {
    public enum IPAM {
        case none
        case builtin(dataDir: String)
        case delegated(DelegatedIPAM)
    }

    public let network: String
    public let attachment: NetworkConfig.Attachment
    public let ipam: IPAM
    public let ipMasq: Bool

    /// The outcome of reading DEL's input: what to remove, or why nothing can exist.
    public enum Request {
        case remove(Deletion)
        case nothingToRemove(String)
    }

    public static func read(environment raw: [String: String], stdin: [UInt8]) -> Request {
        let env: CNIEnvironment
        do { env = try CNIEnvironment(raw) } catch { return .nothingToRemove(message(error)) }
        guard stdin.count <= CNIPlugin.maxConfigurationBytes else {
            return .nothingToRemove("the network configuration exceeds \(CNIPlugin.maxConfigurationBytes >> 20) MiB")
        }
        do {
            let r = try FieldReader(try JSON.parse(stdin, what: "network configuration"), context: "network configuration")
            guard let name = try r.string("name") else { return .nothingToRemove("the network configuration has no name") }
            try NetworkConfig.validateNetworkName(name)
            var ipam = IPAM.none
            if let value = r.object["ipam"], !value.isNull {
                let ir = try FieldReader(value, context: "ipam")
                let type = try ir.string("type") ?? ""
                if type == BuiltinIPAM.typeName {
                    let d = try ir.string("dataDir") ?? IPAMConfig.defaultDataDir
                    try IPAMConfig.validateDataDir(d)
                    ipam = .builtin(dataDir: d)
                } else if !type.isEmpty {
                    ipam = .delegated(try DelegatedIPAM(type: type, environment: env, stdin: stdin))
                }
            }
            let att = NetworkConfig.Attachment(containerID: env.containerID ?? "", ifname: env.ifname ?? "")
            return .remove(Deletion(network: name, attachment: att, ipam: ipam, ipMasq: r.object["ipMasq"]?.boolValue == true))
        } catch {
            return .nothingToRemove(message(error))
        }
    }

    static func message(_ error: Error) -> String {
        (error as? CNIError).map { $0.msg } ?? "\(error)"
    }

    /// Removes the attachment's masquerade chain, host veth and reservation — in that order, the
    /// reverse of ADD's: while the reservation exists a second ADD of the attachment is refused,
    /// so nothing this DEL deletes can belong to a new ADD of the same attachment. Returns
    /// notes for stderr (a store path not followed, a delegate that cannot be found).
    public func run() throws -> [String] {
        var notes: [String] = []
        // Without libnftables nothing can have been installed.
        if ipMasq && NFTables.isAvailable {
            try step("remove masquerade") { try Masquerade.remove(owner: Naming.masqueradeOwner(network: network, attachment)) }
        }
        try AttachmentRemoval.deleteHostVeth(network: network, attachment)
        switch ipam {
        case .none: break
        case .builtin(let dataDir):
            do {
                try BuiltinIPAM.release(attachment, dataDir: dataDir, network: network)
            } catch where StoreDirectory.isRefusal(error) {
                // ADD refuses the same path, so a refused ADD reserved nothing there; never followed.
                notes.append("\(Deletion.message(error)): not followed, nothing released there")
            }
        case .delegated(let d):
            do {
                _ = try d.executable()
            } catch {
                // ADD could not run the delegate either: it reserved nothing.
                notes.append("\(Deletion.message(error)): the IPAM plugin's DEL was not run")
                break
            }
            _ = try d.run(.del)
        }
        return notes
    }
}

/// The host-side objects of one attachment, removed by DEL, GC and `vethctl orphans --remove`.
public enum AttachmentRemoval {
    /// Deletes the attachment's host veth if it exists *and* is ours: a veth of the network's link
    /// group under the attachment's derived name (a user's device of that name is left alone).
    /// The container end goes with it. Returns whether one was deleted.
    @discardableResult
    public static func deleteHostVeth(network: String, _ a: NetworkConfig.Attachment, handle: NetHandle? = nil) throws -> Bool {
        let name = Naming.hostVeth(network: network, a)
        let host = try handle ?? step("open rtnetlink") { try NetHandle() }
        guard let l = try step("look up \(name)", { try host.linkIfPresent(named: name) }),
              l.isVeth, l.group == Naming.linkGroup(network: network) else { return false }
        do {
            try host.deleteLink(.index(l.index))
        } catch where error.isNotFound {
            return false
        } catch {
            throw cniError(error, "delete veth \(name)")
        }
        return true
    }
}
