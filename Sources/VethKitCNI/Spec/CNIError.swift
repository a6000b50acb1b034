import VethKitJSON
/// The CNI error object (SPEC "Error"): printed as JSON on stdout with a non-zero exit.
public struct CNIError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Error codes. 0–99 are the spec's well-known codes; 100+ are ours (see docs/cni.md).
    public struct Code: RawRepresentable, Hashable, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }

        /// 1: the configuration's cniVersion is not one this plugin supports.
        public static let incompatibleVersion = Code(rawValue: 1)
        /// 2: a field of the configuration is not supported by this plugin.
        public static let unsupportedField = Code(rawValue: 2)
        /// 3: the container (its network namespace or interface) is unknown or gone.
        public static let unknownContainer = Code(rawValue: 3)
        /// 4: a required CNI_* environment variable is missing or invalid.
        public static let invalidEnvironment = Code(rawValue: 4)
        /// 5: an I/O failure (files, kernel).
        public static let ioFailure = Code(rawValue: 5)
        /// 6: stdin (or a delegate's output) could not be decoded.
        public static let decodingFailure = Code(rawValue: 6)
        /// 7: the network configuration is invalid.
        public static let invalidNetworkConfig = Code(rawValue: 7)
        /// 11: a temporary condition (e.g. the address pool is exhausted); the runtime may retry.
        public static let tryAgainLater = Code(rawValue: 11)
        /// 50: STATUS: the plugin cannot service ADD requests.
        public static let notAvailable = Code(rawValue: 50)
        /// 51: STATUS: not available, and existing containers may have limited connectivity.
        public static let notAvailableLimitedConnectivity = Code(rawValue: 51)

        /// 100: CHECK: an interface is missing or differs from the ADD result (name, MAC, kind, bridge port, MTU).
        public static let interfaceDrift = Code(rawValue: 100)
        /// 101: CHECK: an address of the ADD result is missing from the container interface.
        public static let addressDrift = Code(rawValue: 101)
        /// 102: CHECK: a route of the ADD result is missing from the container.
        public static let routeDrift = Code(rawValue: 102)
        /// 103: CHECK: the IPAM reservation for this attachment is missing.
        public static let reservationDrift = Code(rawValue: 103)
        /// 110: the kernel refused an operation (errno and the kernel's text in details).
        public static let kernelRefused = Code(rawValue: 110)
        /// 111: a delegated IPAM plugin failed without a CNI error object.
        public static let delegateFailed = Code(rawValue: 111)
        /// 112: ADD: this attachment (container id + ifname) already holds a reservation (a second ADD without DEL).
        public static let duplicateAttachment = Code(rawValue: 112)
    }

    public var code: Code
    public var msg: String
    public var details: String?

    /// `msg` and `details` are stored with control characters escaped and cut (1000 and 4000
    /// characters): whatever value a message quotes, the error object stays one bounded,
    /// printable line for the runtime's logs.
    public init(_ code: Code, _ msg: String, details: String? = nil) {
        self.code = code
        self.msg = msg.cniEscaped(max: 1000)
        self.details = details?.cniEscaped(max: 4000)
    }

    public var description: String {
        "CNI error \(code.rawValue): \(msg)" + (details.map { " (\($0))" } ?? "")
    }

    /// The spec's error object for `cniVersion`.
    public func json(cniVersion: String) -> JSON {
        var o: JSONObject = ["cniVersion": .string(cniVersion), "code": .int(Int64(code.rawValue)), "msg": .string(msg)]
        if let details, !details.isEmpty { o["details"] = .string(details) }
        return .object(o)
    }
}
