import CLinuxUAPI
import Netlink
@_spi(Decoding) import VethKit

/// libFuzzer entry: the bytes as a datagram from the kernel (split into messages, each decoded as
/// a link, address, route, neighbour, fdb entry, event and error), and the same bytes as the payload of one message of
/// each type, so the typed decoders are reached without a valid nlmsghdr. Any trap is a finding;
/// a thrown MalformedMessage is the expected answer to bad input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNetlink(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let messages = try? NetlinkMessage.parse(bytes) {
        for m in messages { decodeEverything(m) }
    }
    let types: [Int] = [Int(RTM_NEWLINK), Int(RTM_NEWADDR), Int(RTM_NEWROUTE), Int(RTM_NEWNEIGH), Int(RTM_DELLINK), Int(NLMSG_ERROR)]
    for t in types {
        for flags in [0, Int(NLM_F_ACK_TLVS), Int(NLM_F_ACK_TLVS | NLM_F_CAPPED)] {
            decodeEverything(NetlinkMessage(type: UInt16(t), flags: UInt16(flags), payload: bytes[...]))
        }
    }
    return 0
}

func decodeEverything(_ m: NetlinkMessage) {
    _ = try? Link(message: m)
    _ = try? Address(message: m)
    _ = try? Route(message: m)
    _ = try? Neighbour(message: m)
    _ = try? FDBEntry(message: m)
    _ = try? Event(message: m)
    if let e = try? NetlinkSocket.kernelError(m) { _ = e.description }
    // Generic attribute walk at every fixed-header size the decoders use, nests included.
    if let list = try? m.attributes(after: ifinfomsg.self) { walk(list, depth: 0) }
    if let list = try? m.attributes(after: ifaddrmsg.self) { walk(list, depth: 0) }
    if let list = try? m.attributes(after: rtmsg.self) { walk(list, depth: 0) }
    if let list = try? m.attributes(after: ndmsg.self) { walk(list, depth: 0) }
}

/// Every attribute read every way, nests to a fixed depth.
func walk(_ list: AttributeList, depth: Int) {
    for a in list {
        _ = a.string; _ = a.uint8; _ = a.uint16; _ = a.uint32; _ = a.uint64; _ = a.int32
        if depth < 4, let nested = try? a.nested() { walk(nested, depth: depth + 1) }
    }
}
