/// Checks on the text of a YAML file before libyaml reads it (it must already be valid UTF-8).
enum YAMLText {
    /// The first character YAML does not allow in a stream (YAML 1.1 §5.1, libyaml's reader:
    /// C0 controls but tab, CR and LF; DEL; C1 controls but NEL; surrogates; U+FFFE and U+FFFF),
    /// with its 1-based line and column (in characters, as libyaml counts them).
    static func firstForbiddenCharacter(_ bytes: UnsafeBufferPointer<UInt8>) -> (line: Int, column: Int, scalar: UInt32)? {
        var position = Position()
        var i = 0
        // A byte-order mark at the start is no character of the document (libyaml skips it).
        if bytes.count >= 3, bytes[0] == 0xef, bytes[1] == 0xbb, bytes[2] == 0xbf { i = 3 }
        while i < bytes.count {
            let (value, length) = decode(bytes, at: i)
            i += length
            let allowed = value == 0x09 || value == 0x0a || value == 0x0d || (0x20...0x7e).contains(value) || value == 0x85
                || (0xa0...0xd7ff).contains(value) || (0xe000...0xfffd).contains(value) || (0x10000...0x10ffff).contains(value)
            if !allowed { return (position.line, position.column, value) }
            position.advance(over: value)
        }
        return nil
    }

    /// The 1-based line and column of the character starting at byte `offset`.
    static func position(ofByte offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> (line: Int, column: Int) {
        var position = Position()
        var i = 0
        while i < min(offset, bytes.count) {
            let (value, length) = decode(bytes, at: i)
            i += length
            position.advance(over: value)
        }
        return (position.line, position.column)
    }

    /// Line and column as libyaml counts them: CR LF is one line break, and so are CR, LF, NEL,
    /// U+2028 and U+2029 alone; a column is a character.
    struct Position {
        var line = 1
        var column = 1
        var afterCR = false

        mutating func advance(over value: UInt32) {
            switch value {
            case 0x0a:
                if !afterCR { line += 1 }
                column = 1
            case 0x0d, 0x85, 0x2028, 0x2029:
                line += 1
                column = 1
            default:
                column += 1
            }
            afterCR = value == 0x0d
        }
    }

    /// The scalar value at `i` of valid UTF-8, and its length in bytes.
    static func decode(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> (UInt32, Int) {
        let c = UInt32(b[i])
        func next(_ k: Int) -> UInt32 { i + k < b.count ? UInt32(b[i + k] & 0x3f) : 0 }
        switch c {
        case 0..<0x80: return (c, 1)
        case 0xc0..<0xe0: return ((c & 0x1f) << 6 | next(1), 2)
        case 0xe0..<0xf0: return ((c & 0x0f) << 12 | next(1) << 6 | next(2), 3)
        default: return ((c & 0x07) << 18 | next(1) << 12 | next(2) << 6 | next(3), 4)
        }
    }
}
