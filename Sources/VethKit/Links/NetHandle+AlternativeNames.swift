import CLinuxUAPI
import Glibc
import Netlink

extension NetHandle {
    /// Gives `link` an alternative name (`ip link property add dev LINK altname NAME`): one more
    /// name it answers to, up to 127 bytes (an interface name has 15). The kernel refuses a name
    /// any link of the namespace already has (EEXIST).
    public func addAlternativeName(_ name: String, to link: LinkReference) throws {
        try changeAlternativeName(name, of: link, add: true)
    }

    /// Takes an alternative name from `link` (`ip link property del dev LINK altname NAME`);
    /// throws ``NotFound`` when the link has no such name (the kernel's ENOENT, or EINVAL when the
    /// name is the link's own or another link's).
    public func deleteAlternativeName(_ name: String, from link: LinkReference) throws {
        do {
            try changeAlternativeName(name, of: link, add: false)
        } catch let e as KernelError where e.errno == .noSuchFileOrDirectory || e.errno == .invalidArgument {
            throw NotFound(.alternativeName, name, in: placeName)
        }
    }

    /// Checks an alternative name as the kernel does (1-127 bytes, no `/`, `:` or white space,
    /// not `.` or `..`), and refuses control characters and invalid UTF-8 first.
    public static func validateAlternativeName(_ name: String) throws {
        let b = Array(name.utf8)
        if b.isEmpty || b.count > 127 { throw InvalidInput("altname", name, "must be 1-127 bytes (got \(b.count))") }
        if name == "." || name == ".." { throw InvalidInput("altname", name, "is not a name") }
        if b.contains(where: { $0 <= 0x20 || $0 == 0x7f || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: ":") }) {
            throw InvalidInput("altname", name, "has white space, a control character, `/` or `:`")
        }
    }

    private func changeAlternativeName(_ name: String, of link: LinkReference, add: Bool) throws {
        try Self.validateAlternativeName(name)
        var m = MessageWriter(type: UInt16(add ? RTM_NEWLINKPROP : RTM_DELLINKPROP), flags: add ? NLM_F_CREATE | NLM_F_EXCL : 0)
        var h = ifinfomsg()
        h.ifi_index = try index(of: link)
        m.append(header: h)
        m.nested(UInt16(IFLA_PROP_LIST)) { $0.attribute(UInt16(IFLA_ALT_IFNAME), string: name) }
        try socket.request(m)
    }
}
