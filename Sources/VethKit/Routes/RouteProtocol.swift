import CLinuxUAPI

/// Who installed a route (`rtm_protocol`, RTPROT_*): the kernel, the boot scripts, a daemon, VethKit.
/// Names are iproute2's (`/usr/share/iproute2/rt_protos`); an unknown number prints as the number.
public struct RouteProtocol: NamedKernelValue {
    /// The kernel\'s number.
    public let rawValue: UInt8
    /// The value the kernel numbers `rawValue` (named or not).
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let unspecified = RouteProtocol(rawValue: UInt8(RTPROT_UNSPEC))
    public static let redirect = RouteProtocol(rawValue: UInt8(RTPROT_REDIRECT))
    public static let kernel = RouteProtocol(rawValue: UInt8(RTPROT_KERNEL))
    public static let boot = RouteProtocol(rawValue: UInt8(RTPROT_BOOT))
    public static let `static` = RouteProtocol(rawValue: UInt8(RTPROT_STATIC))
    public static let gated = RouteProtocol(rawValue: UInt8(RTPROT_GATED))
    public static let ra = RouteProtocol(rawValue: UInt8(RTPROT_RA))
    public static let mrt = RouteProtocol(rawValue: UInt8(RTPROT_MRT))
    public static let zebra = RouteProtocol(rawValue: UInt8(RTPROT_ZEBRA))
    public static let bird = RouteProtocol(rawValue: UInt8(RTPROT_BIRD))
    public static let dnrouted = RouteProtocol(rawValue: UInt8(RTPROT_DNROUTED))
    public static let xorp = RouteProtocol(rawValue: UInt8(RTPROT_XORP))
    public static let ntk = RouteProtocol(rawValue: UInt8(RTPROT_NTK))
    public static let dhcp = RouteProtocol(rawValue: UInt8(RTPROT_DHCP))
    public static let mrouted = RouteProtocol(rawValue: UInt8(RTPROT_MROUTED))
    public static let keepalived = RouteProtocol(rawValue: UInt8(RTPROT_KEEPALIVED))
    public static let babel = RouteProtocol(rawValue: UInt8(RTPROT_BABEL))
    public static let openr = RouteProtocol(rawValue: UInt8(RTPROT_OPENR))
    public static let bgp = RouteProtocol(rawValue: UInt8(RTPROT_BGP))
    public static let isis = RouteProtocol(rawValue: UInt8(RTPROT_ISIS))
    public static let ospf = RouteProtocol(rawValue: UInt8(RTPROT_OSPF))
    public static let rip = RouteProtocol(rawValue: UInt8(RTPROT_RIP))
    public static let eigrp = RouteProtocol(rawValue: UInt8(RTPROT_EIGRP))
    /// VethKit's own mark (0x56, 'V') on the routes its topology engine installs. Not a kernel
    /// constant: rtnetlink.h reserves 0–4 for the kernel and names daemons' numbers above; 0x56 is
    /// unassigned there (iproute2 prints it as 86).
    public static let vethkit = RouteProtocol(rawValue: 0x56)

    public static let names: [(RouteProtocol, String)] = [
        (.unspecified, "unspec"), (.redirect, "redirect"), (.kernel, "kernel"), (.boot, "boot"), (.static, "static"),
        (.gated, "gated"), (.ra, "ra"), (.mrt, "mrt"), (.zebra, "zebra"), (.bird, "bird"), (.dnrouted, "dnrouted"),
        (.xorp, "xorp"), (.ntk, "ntk"), (.dhcp, "dhcp"), (.mrouted, "mrouted"), (.keepalived, "keepalived"),
        (.babel, "babel"), (.openr, "openr"), (.bgp, "bgp"), (.isis, "isis"), (.ospf, "ospf"), (.rip, "rip"),
        (.eigrp, "eigrp"), (.vethkit, "vethkit"),
    ]
}
