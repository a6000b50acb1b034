import Netlink

/// A dummy device: a link that drops what it is sent (`ip link add NAME type dummy`).
public struct Dummy: LinkKind {
    public init() {}
    public var kindName: String { "dummy" }
    public var hasInfoData: Bool { false }
    public func encodeInfoData(into message: inout MessageWriter) throws {}
}
