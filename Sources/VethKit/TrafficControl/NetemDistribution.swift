import Glibc

extension Netem {
    /// The shape of netem's delay jitter. netem draws uniformly in delay ± jitter unless user space
    /// hands it a table (TCA_NETEM_DELAY_DIST); VethKit computes the tables as iproute2's
    /// generators do (netem/normal.c, pareto.c, paretonormal.c) instead of reading the .dist files
    /// tc ships: the same 4096 values, byte for byte (DistributionTableTests compares them with
    /// /usr/lib/x86_64-linux-gnu/tc/*.dist where iproute2 is installed).
    public enum Distribution: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
        /// No table: the kernel's own uniform draw.
        case uniform
        case normal
        case pareto
        case paretoNormal = "paretonormal"

        /// tc's name (`normal`, `paretonormal`…; `uniform` is VethKit's word for "no table").
        public var description: String { rawValue }

        /// Parses tc's names (case-sensitive, as tc opens `NAME.dist`).
        public init(parsing text: String) throws {
            guard let d = Distribution(rawValue: text) else {
                throw InvalidInput("distribution", text, "expected uniform, normal, pareto or paretonormal")
            }
            self = d
        }

        /// The table sent to the kernel (values scaled by NETEM_DIST_SCALE = 8192), nil for uniform.
        public var table: [Int16]? {
            switch self {
            case .uniform: return nil
            case .normal: return Self.normalTable
            case .pareto: return Self.paretoTable
            case .paretoNormal: return Self.paretoNormalTable
            }
        }

        static let tableSize = 16384
        static let tableFactor = 8192.0  // NETEM_DIST_SCALE (pkt_sched.h)

        /// normal.c's inverse of the standard normal CDF, sampled: for x from -10 in steps of
        /// .00005, table[rint(16384 * Φ(x))] = x (the same double steps, so the same values).
        private static let inverseNormal: [Double] = {
            var table = [Double](repeating: 0, count: tableSize + 1)
            var x = -10.0
            while x < 10.05 {
                let i = Int(rint(Double(tableSize) * (0.5 + 0.5 * erf(x / (2.0).squareRoot()))))
                table[i] = x
                x += 0.00005
            }
            return table
        }()

        private static func clampToShort(_ v: Int) -> Int16 { Int16(Swift.min(Swift.max(v, Int(Int16.min)), Int(Int16.max))) }

        /// netem/normal.c: every fourth sample of the inverse CDF, times 8192.
        static let normalTable: [Int16] = stride(from: 0, to: tableSize, by: 4).map {
            clampToShort(Int(rint(inverseNormal[$0] * tableFactor)))
        }

        /// pareto.c's value for i = 65536, 65520, …, 16 (a = 3), capped at 32767.
        private static func pareto(_ i: Int) -> Int {
            var d = Double(i) / 65536.0
            d = 1.0 / pow(d, 1.0 / 3.0)
            d -= 1.5
            d *= (4.0 / 3.0) * tableFactor
            if d > 32767 { d = 32767 }
            return Int(rint(d))
        }

        /// netem/pareto.c.
        static let paretoTable: [Int16] = stride(from: 65536, to: 0, by: -16).map { Int16(pareto($0)) }

        /// netem/paretonormal.c: (normal + 3 * pareto) / 4, C's integer division.
        static let paretoNormalTable: [Int16] = stride(from: 0, to: tableSize, by: 4).map { i in
            let normal = Int(rint(inverseNormal[i] * tableFactor))
            let par = pareto(65536 - 4 * i)
            return clampToShort((normal + 3 * par) / 4)
        }
    }
}
