import VethKitJSON
import Glibc

/// Writes text to standard output in one call.
func emit(_ text: String) {
    emit(Array(text.utf8))
}

/// Writes bytes to standard output, retrying short writes.
func emit(_ bytes: [UInt8]) {
    bytes.withUnsafeBufferPointer { buf in
        var off = 0
        while off < buf.count {
            let n = write(1, buf.baseAddress! + off, buf.count - off)
            if n <= 0 { if errno == EINTR { continue }; return }
            off += n
        }
    }
}

/// Writes one line to standard error (control characters escaped: messages quote kernel text and names).
func warn(_ text: String) {
    var t = text.terminalEscaped(keepingNewlines: true) + "\n"
    t.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

/// Writes a JSON document and a newline to standard output.
func emitJSON(_ value: JSON) {
    var bytes = value.bytes()
    bytes.append(UInt8(ascii: "\n"))
    emit(bytes)
}
