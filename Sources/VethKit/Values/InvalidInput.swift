/// A bad input, found before any syscall. Its description names the input and says what is wrong,
/// e.g. `invalid interface name "veth-with-a-long-name": longer than 15 bytes`.
public struct InvalidInput: Error, Equatable, Sendable, CustomStringConvertible {
    /// What kind of input it was ("interface name", "CIDR", …).
    public var what: String
    /// The input as given.
    public var value: String
    /// Why it was refused.
    public var reason: String

    public init(_ what: String, _ value: String, _ reason: String) {
        self.what = what
        self.value = value
        self.reason = reason
    }

    public var description: String { "invalid \(what) \"\(value.debugEscaped)\": \(reason)" }
}

extension String {
    /// The string with control characters escaped, for error messages.
    var debugEscaped: String {
        var out = ""
        for scalar in unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7f {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
