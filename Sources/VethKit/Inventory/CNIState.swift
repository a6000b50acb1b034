import VethKitJSON

/// CNI state on the machine that names the namespace a container was attached in:
/// - libcni's result cache (`/var/lib/cni/results/NETWORK-CONTAINERID-IFNAME`, JSON of kind
///   `cniCacheV1`: `containerId`, `ifName`, `networkName`, `netns` (libcni ≥ 1.1), `cniArgs`
///   with `K8S_POD_NAMESPACE`/`K8S_POD_NAME`/`K8S_POD_UID`), written by every runtime that uses
///   libcni (podman's CNI backend, containerd's CRI, CRI-O, nerdctl);
/// - vethkit-cni's netns records: the marker files `.a-*` in each network's IPAM store
///   (`/var/lib/cni/networks/NETWORK/`), whose format VethKitCNI's `NetnsRecord` documents —
///   `vethkit-cni netns record 1`, `container ID`, `ifname IF`, `netns PATH`, `nsfs DEV INO`.
///   VethKit cannot import VethKitCNI (it is the layer above), so the five lines are parsed
///   here; VethKitCNITests' NetnsRecordDiscoveryTests pins the two together.
enum CNIState {
    struct Attachment: Equatable {
        var containerID: String
        var network: String?
        var ifname: String?
        /// CNI_NETNS as recorded (libcni ≥ 1.1, vethkit-cni), when known.
        var netnsPath: String?
        /// The nsfs identity recorded at ADD (vethkit-cni only).
        var namespace: NamespaceID?
        var podNamespace: String?
        var podName: String?
        var podUID: String?
    }

    static let maxFileBytes = 1 << 20

    /// Every readable entry of the result cache (anything else in the directory is skipped).
    static func resultCache(_ directory: String) -> [Attachment] {
        var names: [String] = []
        _ = ProcFiles.listDirectory(directory) { names.append(String(decoding: $0, as: UTF8.self)) }
        var out: [Attachment] = []
        for n in names.sorted() {
            guard let bytes = ProcFiles.read(directory + "/" + n, limit: maxFileBytes, noFollow: true),
                  let a = parseCacheEntry(bytes) else { continue }
            out.append(a)
        }
        return out
    }

    /// One cache file; nil unless it is a `cniCacheV1` object with a container id.
    static func parseCacheEntry(_ bytes: [UInt8]) -> Attachment? {
        guard let json = try? JSON.parse(bytes), json["kind"]?.stringValue == "cniCacheV1",
              let id = json["containerId"]?.stringValue, !id.isEmpty else { return nil }
        var a = Attachment(containerID: id, network: json["networkName"]?.stringValue, ifname: json["ifName"]?.stringValue,
                           netnsPath: json["netns"]?.stringValue)
        // cniArgs: [["K8S_POD_NAMESPACE", "default"], …]
        for pair in json["cniArgs"]?.arrayValue ?? [] {
            guard let kv = pair.arrayValue, kv.count == 2, let k = kv[0].stringValue, let v = kv[1].stringValue else { continue }
            switch k {
            case "K8S_POD_NAMESPACE": a.podNamespace = v
            case "K8S_POD_NAME": a.podName = v
            case "K8S_POD_UID": a.podUID = v
            default: break
            }
        }
        return a
    }

    /// vethkit-cni's records in every network directory under each of `directories`.
    static func vethkitRecords(_ directories: [String]) -> [Attachment] {
        var out: [Attachment] = []
        for base in directories {
            var networks: [String] = []
            _ = ProcFiles.listDirectory(base) { networks.append(String(decoding: $0, as: UTF8.self)) }
            for network in networks.sorted() {
                var markers: [String] = []
                _ = ProcFiles.listDirectory(base + "/" + network) { name in
                    if name.count > 3, name[0] == 0x2E, name[1] == 0x61, name[2] == 0x2D {   // ".a-"
                        markers.append(String(decoding: name, as: UTF8.self))
                    }
                }
                for m in markers.sorted() {
                    guard let bytes = ProcFiles.read("\(base)/\(network)/\(m)", limit: 8192, noFollow: true),
                          var a = parseRecord(bytes) else { continue }
                    a.network = network
                    out.append(a)
                }
            }
        }
        return out
    }

    static let recordMark = "vethkit-cni netns record 1"

    /// One marker's content; nil unless exactly the five lines of a record.
    static func parseRecord(_ bytes: [UInt8]) -> Attachment? {
        guard !bytes.isEmpty, bytes.count < 8192 else { return nil }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count == 6, lines[0] == recordMark, lines[5].isEmpty else { return nil }
        func value(_ i: Int, _ key: String) -> String? {
            lines[i].hasPrefix(key + " ") ? String(lines[i].dropFirst(key.count + 1)) : nil
        }
        guard let id = value(1, "container"), !id.isEmpty, let ifn = value(2, "ifname"), let path = value(3, "netns"),
              let ids = value(4, "nsfs")?.split(separator: " "), ids.count == 2,
              let dev = UInt64(ids[0]), let ino = UInt64(ids[1]) else { return nil }
        return Attachment(containerID: id, network: nil, ifname: ifn, netnsPath: path,
                          namespace: NamespaceID(device: dev, inode: ino))
    }
}
