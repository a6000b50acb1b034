/// The network's IPAM: the built-in one in process (`vethkit`), or a delegated plugin binary.
public enum IPAMDriver {
    case none
    case builtin(BuiltinIPAM)
    case delegated(DelegatedIPAM)

    public init(config: NetworkConfig, environment: CNIEnvironment, stdin: [UInt8]) throws {
        guard let type = config.ipamType, let ipam = config.ipam else { self = .none; return }
        if type == BuiltinIPAM.typeName {
            self = .builtin(try BuiltinIPAM(ipam: ipam, network: config.name,
                                            bootIDFile: environment.raw[BootID.fileVariable] ?? BootID.systemFile))
        } else {
            self = .delegated(try DelegatedIPAM(type: type, environment: environment, stdin: stdin))
        }
    }

    public func add(_ a: NetworkConfig.Attachment, netns: NetnsRecord? = nil) throws -> CNIResult {
        switch self {
        case .none: return CNIResult()
        case .builtin(let b): return try b.add(a, netns: netns)
        case .delegated(let d): return try d.add()
        }
    }

    public func del(_ a: NetworkConfig.Attachment) throws {
        switch self {
        case .none: return
        case .builtin(let b): try b.del(a)
        case .delegated(let d): _ = try d.run(.del)
        }
    }

    public func check(_ a: NetworkConfig.Attachment, ips: [CNIResult.IPConfig]) throws {
        switch self {
        case .none: return
        case .builtin(let b): try b.check(a, ips: ips.map(\.address))
        case .delegated(let d): _ = try d.run(.check)
        }
    }

    /// Notes for stderr (reservations without a live network namespace).
    public func status() throws -> [String] {
        switch self {
        case .none: return []
        case .builtin(let b): return try b.status()
        case .delegated(let d): _ = try d.run(.status); return []
        }
    }

    public func gc(keep: Set<NetworkConfig.Attachment>) throws {
        switch self {
        case .none: return
        case .builtin(let b): _ = try b.gc(keep: keep)
        case .delegated(let d): _ = try d.run(.gc)
        }
    }
}
