import Glibc

/// A probability as tc writes it (`1.5%`, or a bare `1.5` meaning the same), 0 to 100 %, and the
/// kernel's 32-bit scale of it: `rint(value / 100 * UINT32_MAX)`, exactly as tc computes it
/// (q_netem.c's set_percent), so 100 % is 0xFFFFFFFF and 1 % is 42949673.
/// Two percentages are equal when the kernel would store the same number.
public struct Percentage: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The fraction, 0...1, as parsed (tc keeps this double for derived values, such as a
    /// Gilbert-Elliott model's default r = 1 - p).
    public let fraction: Double

    /// The value on the kernel's scale (0 = never, 0xFFFFFFFF = always).
    public var kernelValue: UInt32 { UInt32(Glibc.rint(fraction * Double(UInt32.max))) }

    /// The value in percent, 0...100.
    public var value: Double { fraction * 100 }

    /// 0 %.
    public static let zero = Percentage(fraction: 0)
    /// 100 %.
    public static let hundred = Percentage(fraction: 1)

    private init(fraction: Double) { self.fraction = fraction }

    /// `percent` % (0...100); throws ``InvalidInput`` outside that range or for NaN.
    public init(_ percent: Double) throws {
        guard percent.isFinite, percent >= 0, percent <= 100 else {
            throw InvalidInput("percentage", TCNumber.trimmed(percent) + "%", "must be between 0% and 100%")
        }
        fraction = percent / 100
    }

    /// The percentage the kernel stores as `kernelValue` (as tc prints it: 100 * v / UINT32_MAX).
    public init(kernelValue: UInt32) { fraction = Double(kernelValue) / Double(UInt32.max) }

    /// Parses `1.5%` or `1.5` (tc's parse_percent: the number divided by 100, an optional `%`).
    /// Throws ``InvalidInput`` naming the value for an empty or malformed string, a value outside
    /// 0…100, NaN or an infinity (`1e999%`).
    public init(parsing text: String) throws {
        guard let (value, unit) = TCNumber.split(text), unit.isEmpty || unit == "%" else {
            throw InvalidInput("percentage", text, "expected a number of percent, e.g. 1%, 0.5%, 100%")
        }
        let f = value / 100
        guard f >= 0, f <= 1 else { throw InvalidInput("percentage", text, "must be between 0% and 100%") }
        fraction = f
    }

    /// 1 - this (tc's `1. - p`, computed on the parsed double as tc does).
    public var complement: Percentage { Percentage(fraction: 1 - fraction) }

    public static func == (a: Percentage, b: Percentage) -> Bool { a.kernelValue == b.kernelValue }
    public func hash(into h: inout Hasher) { h.combine(kernelValue) }
    public static func < (a: Percentage, b: Percentage) -> Bool { a.kernelValue < b.kernelValue }

    /// As tc prints it: `%g%%` of the kernel's value (`1.5%`, `0.1%`, `100%`).
    public var description: String {
        let v = 100 * Double(kernelValue) / Double(UInt32.max)
        var buffer = [CChar](repeating: 0, count: 64)
        _ = withVaList([v]) { vsnprintf(&buffer, buffer.count, "%g", $0) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + "%"
    }
}
