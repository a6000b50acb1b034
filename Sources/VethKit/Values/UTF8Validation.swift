/// Input that must be UTF-8 (topology files, batch files, command lines) is checked here, so a
/// bad byte is refused with its position instead of silently becoming U+FFFD (which can make
/// a different name than the one written).

/// The position (1-based line, and column in bytes) and value of the first byte that is not
/// valid UTF-8 (RFC 3629: no overlong forms, surrogates or values past U+10FFFF), or nil.
public func firstInvalidUTF8<C: Collection>(_ bytes: C) -> (line: Int, column: Int, byte: UInt8)? where C.Element == UInt8, C.Index == Int {
    var i = bytes.startIndex, line = 1, lineStart = bytes.startIndex
    while i < bytes.endIndex {
        let b = bytes[i]
        if b < 0x80 {
            if b == 0x0a { line += 1; lineStart = i + 1 }
            i += 1
            continue
        }
        let length: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xbf
        switch b {
        case 0xc2...0xdf: length = 2
        case 0xe0: length = 3; low = 0xa0
        case 0xed: length = 3; high = 0x9f
        case 0xe1...0xef: length = 3
        case 0xf0: length = 4; low = 0x90
        case 0xf1...0xf3: length = 4
        case 0xf4: length = 4; high = 0x8f
        default: return (line, i - lineStart + 1, b)
        }
        for k in 1..<length {
            guard i + k < bytes.endIndex else { return (line, i - lineStart + 1, b) }
            let c = bytes[i + k]
            let (lo, hi) = k == 1 ? (low, high) : (UInt8(0x80), UInt8(0xbf))
            guard c >= lo, c <= hi else { return (line, i + k - lineStart + 1, c) }
        }
        i += length
    }
    return nil
}
