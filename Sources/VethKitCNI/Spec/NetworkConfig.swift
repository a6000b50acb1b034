import VethKitJSON
import VethKit

/// The network configuration on stdin, for this plugin (containernetworking-plugins' `bridge`
/// shape), validated. Unknown fields are ignored, as the spec allows; fields of `bridge` we do not
/// implement are refused with code 2 when they ask for behaviour (e.g. a VLAN).
public struct NetworkConfig: Sendable {
    public var cniVersion: String
    public var name: String
    public var type: String
    /// The bridge device on the host (default `cni0`).
    public var bridge: InterfaceName
    public var isGateway: Bool
    public var isDefaultGateway: Bool
    public var forceAddress: Bool
    public var ipMasq: Bool
    /// 0 = the kernel's default.
    public var mtu: Int
    public var hairpinMode: Bool
    public var promiscMode: Bool
    /// IPv6 duplicate address detection in the container (off by default, as `bridge` does).
    public var enableDAD: Bool
    /// The `ipam` object, whole (delegates and the built-in IPAM read it), or nil for L2 only.
    public var ipam: JSON?
    /// `ipam.type`, or nil for L2 only.
    public var ipamType: String?
    public var dns: JSON?
    /// `prevResult`, parsed when present.
    public var prevResult: CNIResult?
    /// GC: the attachments to keep (`cni.dev/valid-attachments`); nil when missing or null.
    public var validAttachments: [Attachment]?
    /// The whole configuration as received.
    public var raw: JSON

    /// One container attachment: container id + interface name.
    public struct Attachment: Hashable, Sendable {
        public var containerID: String
        public var ifname: String
        public init(containerID: String, ifname: String) {
            self.containerID = containerID
            self.ifname = ifname
        }
    }

    /// Decodes and validates `stdin`. Version problems throw code 1, undecodable input code 6,
    /// invalid values code 7, unsupported features code 2.
    public init(stdin: [UInt8], command: CNICommand) throws {
        let json = try JSON.parse(stdin, what: "network configuration")
        try self.init(json: json, command: command)
    }

    public init(json: JSON, command: CNICommand) throws {
        raw = json
        let r = try FieldReader(json, context: "network configuration")
        cniVersion = try CNIVersion.check(try? r.string("cniVersion"))
        guard let n = try r.string("name") else {
            throw CNIError(.invalidNetworkConfig, "network configuration has no name")
        }
        try NetworkConfig.validateNetworkName(n)
        name = n
        type = try r.string("type") ?? ""
        let br = try r.string("bridge") ?? "cni0"
        do { bridge = try InterfaceName(br) } catch let e as InvalidInput {
            throw CNIError(.invalidNetworkConfig, "invalid bridge name \"\(br.cniEscaped)\": \(e.reason)")
        }
        isDefaultGateway = try r.bool("isDefaultGateway") ?? false
        isGateway = try (r.bool("isGateway") ?? false) || isDefaultGateway
        forceAddress = try r.bool("forceAddress") ?? false
        ipMasq = try r.bool("ipMasq") ?? false
        mtu = Int(try r.int("mtu", in: 0...65535) ?? 0)
        if mtu != 0 && mtu < 68 { throw r.bad("mtu", "0 (default) or 68...65535") }
        hairpinMode = try r.bool("hairpinMode") ?? false
        promiscMode = try r.bool("promiscMode") ?? false
        enableDAD = try r.bool("enabledad") ?? false
        if let v = try r.int("vlan", in: 0...4094), v != 0 {
            throw CNIError(.unsupportedField, "vlan is not supported by vethkit-cni", details: "vlan: \(v)")
        }
        if r.has("vlanTrunk") { throw CNIError(.unsupportedField, "vlanTrunk is not supported by vethkit-cni") }
        if try r.bool("macspoofchk") == true {
            throw CNIError(.unsupportedField, "macspoofchk is not supported by vethkit-cni")
        }
        if let b = try r.string("ipMasqBackend"), b != "nftables" {
            throw CNIError(.unsupportedField, "ipMasqBackend \"\(b.cniEscaped)\" is not supported (only nftables)")
        }
        if let ipamValue = r.object["ipam"], !ipamValue.isNull {
            let ir = try FieldReader(ipamValue, context: "ipam")
            let t = try ir.string("type") ?? ""
            if !t.isEmpty { try NetworkConfig.validatePluginType(t, field: "ipam.type") }
            ipam = ipamValue
            ipamType = t.isEmpty ? nil : t
        } else {
            ipam = nil
            ipamType = nil
        }
        dns = r.object["dns"]
        if let p = r.object["prevResult"], !p.isNull {
            prevResult = try CNIResult(json: p, context: "prevResult")
        } else {
            prevResult = nil
        }
        var atts: [Attachment] = []
        if command == .gc {
            let key = r.has("cni.dev/valid-attachments") ? "cni.dev/valid-attachments" : "cni.dev/attachments"
            for a in try r.array(key) ?? [] {
                let ar = try FieldReader(a, context: key)
                guard let id = try ar.string("containerID"), let ifn = try ar.string("ifname") else {
                    throw CNIError(.invalidNetworkConfig, "\(key) entries need containerID and ifname", details: a.serialized)
                }
                atts.append(Attachment(containerID: id, ifname: ifn))
            }
        }
        // Missing or null: nil (GC refuses it); [] means "no attachment is valid".
        let listed = r.has("cni.dev/valid-attachments") || r.has("cni.dev/attachments")
        validAttachments = command == .gc && listed ? atts : nil
    }

    /// The spec's rule for network names, plus a length bound: they become directory names.
    public static func validateNetworkName(_ n: String) throws {
        try CNIEnvironment.validateSpecIdentifier(n, maxBytes: 200) {
            CNIError(.invalidNetworkConfig, "invalid network name \"\(n.cniEscaped)\": \($0)")
        }
    }

    /// A plugin type is a file name in CNI_PATH: no `/`, NUL, `.`/`..`.
    public static func validatePluginType(_ t: String, field: String) throws {
        let u = Array(t.utf8)
        if u.isEmpty || u.count > 255 || t == "." || t == ".." || u.contains(0) || u.contains(UInt8(ascii: "/")) {
            throw CNIError(.invalidNetworkConfig, "invalid \(field) \"\(t.cniEscaped)\"", details: "must be a plain file name")
        }
    }
}
