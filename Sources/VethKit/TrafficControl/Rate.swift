/// A rate as tc writes it (`100mbit`, `1gbit`, `1500kbit`, `10MBps`), in bits per second.
/// The kernel keeps rates in whole bytes per second; a parsed rate is rounded down to one, as tc
/// does (`bitsPerSecond` is then a multiple of 8).
public struct Rate: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The rate in bits per second.
    public let bitsPerSecond: UInt64

    /// The rate in bytes per second, as the kernel takes it.
    public var bytesPerSecond: UInt64 { bitsPerSecond / 8 }

    /// `bitsPerSecond` bits per second.
    public init(bitsPerSecond: UInt64) { self.bitsPerSecond = bitsPerSecond }

    /// `bytesPerSecond` bytes per second (saturating at the largest rate).
    public init(bytesPerSecond: UInt64) {
        bitsPerSecond = bytesPerSecond > UInt64.max / 8 ? UInt64.max / 8 * 8 : bytesPerSecond * 8
    }

    /// tc's rate units (iproute2's table, matched case-insensitively as tc does): bits per second
    /// `bit kbit mbit gbit tbit` and `kibit mibit gibit tibit` (powers of 1024); BYTES per second
    /// `bps kbps mbps gbps tbps` and `kibps mibps gibps tibps`. A bare number is bits per second.
    static let units: [(String, Double)] = [
        ("bit", 1), ("kibit", 1024), ("kbit", 1000), ("mibit", 1024 * 1024), ("mbit", 1_000_000),
        ("gibit", 1024 * 1024 * 1024), ("gbit", 1_000_000_000), ("tibit", 1024 * 1024 * 1024 * 1024),
        ("tbit", 1_000_000_000_000), ("bps", 8), ("kibps", 8 * 1024), ("kbps", 8000),
        ("mibps", 8 * 1024 * 1024), ("mbps", 8_000_000), ("gibps", 8 * 1024 * 1024 * 1024),
        ("gbps", 8_000_000_000), ("tibps", 8 * 1024 * 1024 * 1024 * 1024), ("tbps", 8_000_000_000_000),
    ]

    /// Parses a rate in tc's units (see ``units``). Throws ``InvalidInput`` naming the value for
    /// an empty string, an unknown unit, a negative or non-finite number, less than one byte per
    /// second (the kernel's unit) or more than 2^64 bits per second.
    public init(parsing text: String) throws {
        guard let (value, unit) = TCNumber.split(text) else {
            throw InvalidInput("rate", text, "expected a number and a unit, e.g. 100mbit, 1gbit, 10MBps")
        }
        let lower = unit.lowercased()
        let scale: Double
        if lower.isEmpty { scale = 1 } else if let s = Self.units.first(where: { $0.0 == lower })?.1 { scale = s } else {
            throw InvalidInput("rate", text, "unknown unit \"\(String(unit))\" (expected bit, kbit, mbit, gbit, tbit, or bps… for bytes)")
        }
        // As tc: bits * scale / 8, rounded down to whole bytes per second.
        let bytes = (value * scale / 8).rounded(.down)
        guard bytes >= 1 else { throw InvalidInput("rate", text, "below the kernel's unit of one byte per second (8bit)") }
        guard bytes < 2.3e18 else { throw InvalidInput("rate", text, "too large (at most 2^64 bit/s)") }
        bitsPerSecond = UInt64(bytes) * 8
    }

    public static func < (a: Rate, b: Rate) -> Bool { a.bitsPerSecond < b.bitsPerSecond }

    /// As tc prints a rate (iproute2's print_rate): bits per second in the largest SI unit that
    /// keeps it whole below 1000 of it (`100Mbit`, `1Gbit`, `1500Kbit`, `8bit`).
    public var description: String {
        var rate = bitsPerSecond
        let units = ["", "K", "M", "G", "T"]
        var i = 0
        while i < units.count - 1 {
            if rate < 1000 { break }
            if rate % 1000 != 0 && rate < 1_000_000 { break }
            rate /= 1000
            i += 1
        }
        return "\(rate)\(units[i])bit"
    }
}
