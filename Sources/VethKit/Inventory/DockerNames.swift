import VethKitJSON

/// Docker's container names, which its cgroups do not carry: dockerd keeps each container's
/// configuration in `<data-root>/containers/<id>/config.v2.json`, whose `Name` is `/<name>`.
/// Read only for the containers discovery found, once each; a missing, unreadable (another
/// user's: the directory is root's), symlinked, larger than 1 MiB, non-UTF-8 or malformed file,
/// or a name Docker itself would refuse, leaves the name unknown.
enum DockerNames {
    static let maxFileBytes = 1 << 20

    /// The name of container `containerID` (64 lowercase hex digits, else nil: the id becomes a
    /// path) under the data root `dataDirectory`.
    static func name(containerID: String, dataDirectory: String) -> String? {
        guard containerID.utf8.count == 64, OwnerDetection.isHex(containerID, minimum: 64) else { return nil }
        guard let bytes = ProcFiles.read("\(dataDirectory)/containers/\(containerID)/config.v2.json",
                                         limit: maxFileBytes, noFollow: true) else { return nil }
        return name(config: bytes)
    }

    /// `Name` of a config.v2.json without its leading `/`; nil unless it is what Docker accepts
    /// (`[a-zA-Z0-9][a-zA-Z0-9_.-]*`, at most 255 bytes).
    static func name(config bytes: [UInt8]) -> String? {
        guard let json = try? JSON.parse(bytes), var name = json["Name"]?.stringValue else { return nil }
        if name.hasPrefix("/") { name.removeFirst() }
        let u = Array(name.utf8)
        func alnum(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) }
        guard let first = u.first, u.count <= 255, alnum(first),
              u.allSatisfy({ alnum($0) || $0 == 0x5F || $0 == 0x2E || $0 == 0x2D }) else { return nil }
        return name
    }
}
