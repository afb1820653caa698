/*
 * netlinkTune(portId, rcvbufBytes) -> 0 | { errno, syscall }
 *
 * Finds this process's netlink socket bound to `portId` (getsockname over /proc/self/fd) and sets
 * NETLINK_NO_ENOBUFS and a forced receive buffer (SO_RCVBUFFORCE, needs CAP_NET_ADMIN; falls back
 * to SO_RCVBUF). Used on the route notification socket opened by the `netlink` package, which
 * exposes neither its descriptor nor these options: when such a socket overflows, the kernel flags
 * ENOBUFS as a poll error, and the package's poll handler then aborts the whole process (it builds
 * its error with a NULL syscall string). With NO_ENOBUFS the kernel drops notifications quietly
 * instead; wren's periodic scan repairs whatever was missed. No Node-API in the helper below.
 */
#include "napi_util.h"

#include <dirent.h>
#include <errno.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef NETLINK_NO_ENOBUFS
#define NETLINK_NO_ENOBUFS 5
#endif

static int find_netlink_fd(uint32_t port) {
  DIR *d = opendir("/proc/self/fd");
  if (d == NULL) return -errno;
  struct dirent *e;
  int found = -ENOENT;
  while ((e = readdir(d)) != NULL) {
    char *end;
    long fd = strtol(e->d_name, &end, 10);
    if (*end != '\0' || fd < 0 || fd == dirfd(d)) continue;
    struct sockaddr_nl sa;
    socklen_t len = sizeof sa;
    if (getsockname((int)fd, (struct sockaddr *)&sa, &len) != 0 || sa.nl_family != AF_NETLINK) continue;
    if (sa.nl_pid == port) {
      found = (int)fd;
      break;
    }
  }
  closedir(d);
  return found;
}

napi_value js_netlink_tune(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int port, rcvbuf;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || get_int(env, argv[0], &port) != 0 || get_int(env, argv[1], &rcvbuf) != 0 || rcvbuf < 0) {
    return type_error(env, "netlinkTune(portId, rcvbufBytes)");
  }
  int fd = find_netlink_fd((uint32_t)port);
  if (fd < 0) return make_error(env, fd, "getsockname(netlink)");
  int one = 1;
  if (setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof one) != 0) return make_error(env, -errno, "setsockopt(NETLINK_NO_ENOBUFS)");
  if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0 &&
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) != 0) {
    return make_error(env, -errno, "setsockopt(SO_RCVBUF)");
  }
  return make_int(env, 0);
}
