/// Finding the first byte that is not UTF-8, with the standard library's own decoder.
enum UTF8Check {
    /// The first byte of the first ill-formed sequence in `bytes`, or nil when all are UTF-8.
    static func firstInvalid(_ bytes: [UInt8]) -> (offset: Int, byte: UInt8)? {
        var parser = Unicode.UTF8.ForwardParser()
        var it = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &it) {
            case .valid(let s): offset += s.count
            case .emptyInput: return nil
            case .error(let length):
                _ = length
                return (offset, bytes[offset])
            }
        }
    }
}
