import Glibc

/// The calling process's effective capabilities, as far as VethKit needs them.
public enum Capabilities {
    /// CAP_NET_ADMIN (bit 12 of CapEff in /proc/self/status): what creating and changing links,
    /// addresses, routes, qdiscs and nftables rules needs. Root without it (a restricted
    /// container) does not have it; an unprivileged user with it (a file capability) does.
    public static let hasNetAdmin: Bool = {
        guard let f = fopen("/proc/self/status", "r") else { return geteuid() == 0 }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 512)
        while fgets(&line, Int32(line.count), f) != nil {
            let s = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard s.hasPrefix("CapEff:") else { continue }
            let hex = s.dropFirst(7).filter { !" \t\n".contains($0) }
            guard let caps = UInt64(hex, radix: 16) else { break }
            return caps & (1 << 12) != 0
        }
        return geteuid() == 0
    }()
}
