/// A kernel number with iproute2's names for the known ones, in swift-system's style (a raw-value
/// struct with named constants): ``RouteProtocol``, ``RouteScope``, ``RouteType``, ``RouteTable``,
/// ``AddressProtocol``, ``AddressFamily``. A number without a name prints, and parses, as itself.
public protocol NamedKernelValue: RawRepresentable, Hashable, Sendable, CustomStringConvertible
    where RawValue: FixedWidthInteger {
    init(rawValue: RawValue)
    /// The named values with their names, as iproute2 spells them.
    static var names: [(Self, String)] { get }
}

extension NamedKernelValue {
    /// The name (`kernel`, `global`, `main`, `vethkit`…), or the number for one without a name.
    public var name: String { Self.names.first { $0.0 == self }?.1 ?? String(rawValue) }

    /// The value called `name`, or written as a number; nil for anything else.
    public init?(name: String) {
        if let v = Self.names.first(where: { $0.1 == name })?.0 { self = v; return }
        guard let n = RawValue(name) else { return nil }
        self.init(rawValue: n)
    }

    public var description: String { name }
}
