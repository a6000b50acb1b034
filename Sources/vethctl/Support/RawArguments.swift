import Glibc
import VethKit

/// The command line as the kernel passed it. `CommandLine.arguments` repairs invalid UTF-8 into
/// U+FFFD, which would turn `veth\xff` into another, valid, name; vethctl refuses it instead.
enum RawArguments {
    /// The first argument (1-based, after the program name) that is not valid UTF-8, shown with
    /// its bytes escaped, or nil.
    static func firstInvalid() -> (index: Int, shown: String, byte: UInt8)? {
        for i in 1..<Int(CommandLine.argc) {
            guard let p = CommandLine.unsafeArgv[i] else { continue }
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), count: strlen(p))
            if let bad = firstInvalidUTF8(Array(bytes)) { return (i, escaped(bytes), bad.byte) }
        }
        return nil
    }

    /// Printable ASCII as it is, every other byte as `\xNN`.
    static func escaped<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var out = ""
        for b in bytes {
            if b >= 0x20 && b < 0x7f { out.unicodeScalars.append(Unicode.Scalar(b)) } else {
                out += "\\x" + (b < 0x10 ? "0" : "") + String(b, radix: 16)
            }
        }
        return out
    }
}
