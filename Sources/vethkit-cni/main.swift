import Glibc
import VethKitCNI

// vethkit-cni: a CNI plugin (spec 0.3.0–1.1.0). The runtime sets CNI_* variables and writes the
// network configuration to stdin; the result or error object goes to stdout.

func readAll(_ fd: Int32) -> [UInt8] {
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n > 0 { out += buf[0..<n]; if out.count > CNIPlugin.maxConfigurationBytes { break } } else if n == 0 || errno != EINTR { break }
    }
    return out
}

/// The CNI_* variables only (and VETHKIT_CNI_*, the documented test hooks): the rest of the
/// environment is not ours to parse (a delegated IPAM plugin gets the process's whole environment,
/// see DelegatedIPAM).
func environment() -> [String: String] {
    var env: [String: String] = [:]
    var p = environ
    while let c = p.pointee {
        if strncmp(c, "CNI_", 4) == 0 || strncmp(c, "VETHKIT_CNI_", 12) == 0 {
            let s = String(cString: c)
            if let eq = s.firstIndex(of: "=") { env[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
        }
        p += 1
    }
    return env
}

let env = environment()
if env["CNI_COMMAND"] == nil, CommandLine.arguments.count > 1 {
    let a = CommandLine.arguments[1]
    if a == "--version" || a == "-v" {
        print("vethkit-cni: CNI plugin, spec versions 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0")
        exit(0)
    }
}
// VERSION and a terminal stdin: do not block waiting for a config nobody will send.
let stdinBytes: [UInt8] = (env["CNI_COMMAND"] == "VERSION" && isatty(0) != 0) ? [] : readAll(0)
let outcome = CNIPlugin.run(environment: env, stdin: stdinBytes)

func writeAll(_ fd: Int32, _ text: String) {
    let bytes = Array(text.utf8)
    var off = 0
    while off < bytes.count {
        let n = bytes[off...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n <= 0 { if errno == EINTR { continue }; break }
        off += n
    }
}
writeAll(1, outcome.stdout)
writeAll(2, outcome.stderr)
exit(outcome.status)
