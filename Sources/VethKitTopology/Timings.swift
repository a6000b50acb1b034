import Glibc
import VethKit

/// How long the parts of an `up` or `down` took: returned with the result (``Applier/UpResult``,
/// ``Applier/DownResult``); the executable prints them when asked (`VETHKIT_TIMINGS=1`).
public struct Timing: Sendable, Equatable, CustomStringConvertible {
    /// What was measured: `lock`, `read+plan`, `before veths`, `delete namespaces`…
    public var name: String
    public var seconds: Double
    public init(_ name: String, seconds: Double) {
        self.name = name
        self.seconds = seconds
    }
    /// `veths 12.3 ms`.
    public var description: String { "\(name) \(FixedPoint.text(seconds * 1000, places: 1)) ms" }

    /// `timings: lock 0.1 ms, read+plan 3.2 ms`.
    public static func line(_ timings: [Timing]) -> String {
        "timings: " + timings.map(\.description).joined(separator: ", ")
    }

    /// True when `VETHKIT_TIMINGS=1` (for the executable, and the parts that report counts).
    public static var requested: Bool {
        guard let v = getenv("VETHKIT_TIMINGS") else { return false }
        return String(cString: v) == "1"
    }
}

/// Marks the time between phases: each ``mark(_:)`` records the time since the previous one.
struct PhaseClock {
    private var last: Double
    private(set) var timings: [Timing] = []

    /// A clock whose first mark measures from `start` (now by default).
    init(since start: Double = monotonicSeconds()) { last = start }

    mutating func mark(_ name: String) {
        let now = monotonicSeconds()
        timings.append(Timing(name, seconds: now - last))
        last = now
    }
}

/// Fixed-point text of a number, without Foundation's `String(format:)` (the engine's timings and
/// tables, and vethctl's summaries).
public enum FixedPoint {
    /// `x` rounded to `places` decimals: `text(1.23456, places: 3)` is `1.235`, `text(-0.05, places: 1)` `-0.1`.
    public static func text(_ x: Double, places: Int) -> String {
        guard x.isFinite else { return "\(x)" }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let n = (abs(x) * scale).rounded()
        guard n < 9e18 else { return "\(x)" }
        let v = UInt64(n)
        let p = UInt64(scale)
        let sign = x < 0 && v != 0 ? "-" : ""
        guard places > 0 else { return sign + String(v) }
        let frac = String(v % p)
        return sign + String(v / p) + "." + String(repeating: "0", count: places - frac.count) + frac
    }
}
