import CLinuxUAPI

/// Who added an address (IFA_PROTO, kernel ≥ 6.3; IFAPROT_* in if_addr.h). Kernels before 6.3
/// drop the attribute silently, so there every address reads ``unspecified``.
public struct AddressProtocol: NamedKernelValue {
    /// The kernel\'s number.
    public let rawValue: UInt8
    /// The value the kernel numbers `rawValue` (named or not).
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let unspecified = AddressProtocol(rawValue: UInt8(IFAPROT_UNSPEC))
    /// The kernel's loopback address.
    public static let kernelLoopback = AddressProtocol(rawValue: UInt8(IFAPROT_KERNEL_LO))
    /// Made by the kernel from a router advertisement.
    public static let kernelRouterAdvertisement = AddressProtocol(rawValue: UInt8(IFAPROT_KERNEL_RA))
    /// The kernel's IPv6 link-local address.
    public static let kernelLinkLocal = AddressProtocol(rawValue: UInt8(IFAPROT_KERNEL_LL))
    /// VethKit's own mark (0x56, 'V', as for its routes). Not a kernel constant: if_addr.h defines 0–3 only.
    public static let vethkit = AddressProtocol(rawValue: 0x56)

    public static let names: [(AddressProtocol, String)] = [
        (.unspecified, "unspec"), (.kernelLoopback, "kernel_lo"), (.kernelRouterAdvertisement, "kernel_ra"),
        (.kernelLinkLocal, "kernel_ll"), (.vethkit, "vethkit"),
    ]
}
