#define _GNU_SOURCE 1
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include "CLinuxUAPI.h"

const char *vk_errno_name(int e) { return strerrorname_np(e); }
int vk_setns(int fd, int nstype) { return setns(fd, nstype); }
int vk_unshare(int flags) { return unshare(flags); }
int vk_gettid(void) { return (int)gettid(); }
int vk_open(const char *path, int flags, unsigned mode) { return open(path, flags, mode); }
