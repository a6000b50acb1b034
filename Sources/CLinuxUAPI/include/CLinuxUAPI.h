// The kernel's own names and layouts for Swift. Nothing here is transcribed by hand: this header
// includes the kernel UAPI headers, and declares a few wrappers (defined in CLinuxUAPI.c, built
// with _GNU_SOURCE) for what Swift's Glibc module does not expose: setns, unshare, gettid,
// strerrorname_np, and NLMSG_/NLA_ alignment macros. libc itself comes from Swift's Glibc module;
// defining _GNU_SOURCE here would give libc's types a second, conflicting definition.
#ifndef CLINUXUAPI_H
#define CLINUXUAPI_H
#include <linux/types.h>
#include <linux/sched.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
// linux/if_bridge.h pulls in linux/in6.h: glibc's netinet/in.h first, so libc-compat.h keeps
// glibc's in6_addr (one definition for Swift).
#include <netinet/in.h>
#include <linux/if_bridge.h>
#include <linux/if_addr.h>
#include <linux/if_arp.h>
#include <linux/veth.h>
#include <linux/neighbour.h>
#include <linux/net_namespace.h>
#include <linux/nsfs.h>
#include <linux/if.h>
#include <linux/if_vlan.h>
#include <linux/if_ether.h>
#include <linux/pkt_sched.h>
#include <linux/gen_stats.h>
#include <linux/icmpv6.h>
#include <linux/in_route.h>
#include <linux/fib_rules.h>
#include <linux/nexthop.h>

/// errno's symbolic name ("EEXIST"), or NULL when unknown (glibc's strerrorname_np).
const char *vk_errno_name(int e);
/// setns(2): moves the calling thread into the namespace `fd` refers to.
int vk_setns(int fd, int nstype);
/// unshare(2) for the calling thread.
int vk_unshare(int flags);
/// gettid(2).
int vk_gettid(void);
/// open(2) with a mode (variadic in C).
int vk_open(const char *path, int flags, unsigned mode);

/// Netlink alignment (function-like macros in the UAPI).
static inline unsigned vk_nlmsg_align(unsigned len) { return NLMSG_ALIGN(len); }
static inline unsigned vk_nla_align(unsigned len) { return NLA_ALIGN(len); }
/// NLA_TYPE_MASK, which the UAPI defines as an expression Swift cannot import.
static inline unsigned short vk_nla_type_mask(void) { return (unsigned short)NLA_TYPE_MASK; }

#endif
