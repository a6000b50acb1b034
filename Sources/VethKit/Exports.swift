// VethKit's errors include the wire layer's (KernelError, Errno, SystemCallError): re-export it
// so users need one import.
@_exported import Netlink
