/*
 * wren_tcp: the socket options node:net cannot set on a TCP socket, for wren's BGP sessions.
 * Linux only. Plain C over Node-API (node_api.h, ABI-stable), no other dependency.
 *
 *   connect(req, callback) -> handle with cancel()                      (connect.c)
 *       socket(), TCP_MD5SIG for the peer (RFC 2385), IP_TTL / IPV6_UNICAST_HOPS, IP_MINTTL /
 *       IPV6_MINHOPCOUNT (RFC 5082), bind(localAddress), non-blocking connect() and poll() with a
 *       timeout, all in a Node-API async worker (libuv thread pool). callback(errno, syscall, fd).
 *   openListener(address, port, ttl, minTtl) -> fd | { errno, syscall }
 *       socket() + SO_REUSEADDR (+ IPV6_V6ONLY=0 on "::") + TTL options + bind(); NOT listen():
 *       node:net does that in server.listen({ fd }), after the caller has set the MD5 keys.
 *   setMd5(fd, peerAddress, key | null, mapMode) -> 0 | { errno, syscall }
 *   setTtl(fd, ttl), setMinTtl(fd, minTtl) -> 0 | { errno, syscall }
 *   getTtl(fd) -> { ttl, hops, minTtl, minHops } | { errno, syscall }   (hops/minHops -1 on AF_INET)
 *   socketFamily(fd) -> 4 | 6 | { errno, syscall }
 *   findSocketFd(hint, localAddress, localPort, remoteAddress | null, remotePort) -> fd | -1
 *   netlinkTune(portId, rcvbufBytes) -> 0 | { errno, syscall }              (netlink_tune.c)
 *   udpOpen, udpSend, udpLocalPort, udpClose: UDP sockets that report each datagram's TTL, for
 *       BFD (udp.c)
 *   threadNice, threadRealtime: the calling thread's scheduling (the BFD thread's, udp.c)
 *
 * Files: sockets.c (addresses, socket options, descriptor lookup; no Node-API), napi_util.c
 * (argument reading, result objects), connect.c (the async connect), udp.c (BFD's UDP sockets),
 * this file (the rest).
 *
 * Errors are returned as { errno, syscall } objects (never thrown) so the TypeScript side names
 * them with util.getSystemErrorName(); a thrown TypeError means the TypeScript wrapper passed bad
 * arguments (a bug). Every path that creates a descriptor closes it on failure.
 */
#include "napi_util.h"
#include "sockets.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ------------------------------------------------------------------ synchronous calls */

/* openListener(address, port, ttl, minTtl) -> fd: bound, not listening. */
static napi_value js_open_listener(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char text[MAX_ADDR_TEXT];
  int port, ttl, min_ttl;
  addr_t a;
  if (argc < 4 || get_str(env, argv[0], text, sizeof text) != 0 || get_int(env, argv[1], &port) != 0 || port < 0 || port > 65535 ||
      get_int(env, argv[2], &ttl) != 0 || ttl < -1 || ttl > 255 || get_int(env, argv[3], &min_ttl) != 0 || min_ttl < -1 || min_ttl > 255 ||
      parse_addr(text, port, &a) != 0) {
    return type_error(env, "openListener(address, port, ttl, minTtl)");
  }
  int fam = addr_family(&a);
  int fd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) return make_error(env, -errno, "socket");
  int one = 1, zero = 0, rc;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
    rc = -errno;
    close(fd);
    return make_error(env, rc, "setsockopt(SO_REUSEADDR)");
  }
  if (fam == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&a.ss)->sin6_addr) &&
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) != 0) {
    rc = -errno;
    close(fd);
    return make_error(env, rc, "setsockopt(IPV6_V6ONLY)");
  }
  if (ttl >= 0 && (rc = set_ttl(fd, ttl)) != 0) {
    close(fd);
    return make_error(env, rc, "setsockopt(IP_TTL)");
  }
  if (min_ttl >= 0 && (rc = set_min_ttl(fd, min_ttl)) != 0) {
    close(fd);
    return make_error(env, rc, "setsockopt(IP_MINTTL)");
  }
  if (bind(fd, (struct sockaddr *)&a.ss, a.len) != 0) {
    rc = -errno;
    close(fd);
    return make_error(env, rc, "bind");
  }
  return make_int(env, fd);
}

/* closeFd(fd): for a listener fd that was never handed to node:net. */
static napi_value js_close_fd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int fd;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || get_int(env, argv[0], &fd) != 0 || fd < 0) return type_error(env, "closeFd(fd)");
  return result(env, close(fd) == 0 ? 0 : -errno, "close");
}

/* setMd5(fd, peerAddress, key | null, mapMode) */
static napi_value js_set_md5(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char text[MAX_ADDR_TEXT];
  uint8_t key[TCP_MD5SIG_MAXKEYLEN];
  size_t keylen = 0;
  int fd, map_mode;
  addr_t peer;
  if (argc < 4 || get_int(env, argv[0], &fd) != 0 || fd < 0 || get_str(env, argv[1], text, sizeof text) != 0 ||
      get_key(env, argv[2], key, &keylen) < 0 || get_int(env, argv[3], &map_mode) != 0 || parse_addr(text, 0, &peer) != 0) {
    return type_error(env, "setMd5(fd, peerAddress, key, mapMode)");
  }
  int rc = set_md5(fd, &peer, key, keylen, map_mode);
  memset(key, 0, sizeof key);
  return result(env, rc, "setsockopt(TCP_MD5SIG)");
}

static napi_value fd_int_call(napi_env env, napi_callback_info info, int (*fn)(int, int), const char *syscall) {
  size_t argc = 2;
  napi_value argv[2];
  int fd, v;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || get_int(env, argv[0], &fd) != 0 || fd < 0 || get_int(env, argv[1], &v) != 0 || v < 0 || v > 255) {
    return type_error(env, "(fd, value 0..255)");
  }
  return result(env, fn(fd, v), syscall);
}

static napi_value js_set_ttl(napi_env env, napi_callback_info info) { return fd_int_call(env, info, set_ttl, "setsockopt(IP_TTL)"); }
static napi_value js_set_min_ttl(napi_env env, napi_callback_info info) { return fd_int_call(env, info, set_min_ttl, "setsockopt(IP_MINTTL)"); }

/* getTtl(fd) -> { ttl, hops, minTtl, minHops }; the IPv6 values are -1 on an AF_INET socket. */
static napi_value js_get_ttl(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int fd;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || get_int(env, argv[0], &fd) != 0 || fd < 0) return type_error(env, "getTtl(fd)");
  int fam = socket_family(fd);
  if (fam < 0) return make_error(env, fam, "getsockname");
  int ttl = -1, hops = -1, min_ttl = -1, min_hops = -1, rc;
  if ((rc = get_int_opt(fd, IPPROTO_IP, IP_TTL, &ttl)) != 0) return make_error(env, rc, "getsockopt(IP_TTL)");
  if ((rc = get_int_opt(fd, IPPROTO_IP, IP_MINTTL, &min_ttl)) != 0) return make_error(env, rc, "getsockopt(IP_MINTTL)");
  if (fam == AF_INET6) {
    if ((rc = get_int_opt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops)) != 0) return make_error(env, rc, "getsockopt(IPV6_UNICAST_HOPS)");
    if ((rc = get_int_opt(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, &min_hops)) != 0) return make_error(env, rc, "getsockopt(IPV6_MINHOPCOUNT)");
  }
  napi_value obj;
  CHECK(napi_create_object(env, &obj));
  napi_set_named_property(env, obj, "ttl", make_int(env, ttl));
  napi_set_named_property(env, obj, "hops", make_int(env, hops));
  napi_set_named_property(env, obj, "minTtl", make_int(env, min_ttl));
  napi_set_named_property(env, obj, "minHops", make_int(env, min_hops));
  return obj;
}

static napi_value js_socket_family(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int fd;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || get_int(env, argv[0], &fd) != 0 || fd < 0) return type_error(env, "socketFamily(fd)");
  int fam = socket_family(fd);
  return fam < 0 ? make_error(env, fam, "getsockname") : make_int(env, fam == AF_INET ? 4 : 6);
}

/*
 * findSocketFd(hint, localAddress, localPort, remoteAddress | null, remotePort) -> fd | -1
 * Checks the hint first, then every descriptor in /proc/self/fd. remoteAddress null: a listener.
 */
static napi_value js_find_socket_fd(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char ltext[MAX_ADDR_TEXT], rtext[MAX_ADDR_TEXT];
  int hint, lport, rport, has_remote;
  addr_t local, remote;
  if (argc < 5 || get_int(env, argv[0], &hint) != 0 || get_str(env, argv[1], ltext, sizeof ltext) != 0 || get_int(env, argv[2], &lport) != 0 ||
      (has_remote = get_str(env, argv[3], rtext, sizeof rtext)) < 0 || get_int(env, argv[4], &rport) != 0 || parse_addr(ltext, lport, &local) != 0 ||
      (has_remote == 0 && parse_addr(rtext, rport, &remote) != 0)) {
    return type_error(env, "findSocketFd(hint, localAddress, localPort, remoteAddress, remotePort)");
  }
  return make_int(env, find_socket_fd(hint, &local, has_remote == 0 ? &remote : NULL));
}

/* ------------------------------------------------------------------ module */

static napi_value init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"connect", NULL, js_connect, NULL, NULL, NULL, napi_enumerable, NULL},
      {"openListener", NULL, js_open_listener, NULL, NULL, NULL, napi_enumerable, NULL},
      {"closeFd", NULL, js_close_fd, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setMd5", NULL, js_set_md5, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setTtl", NULL, js_set_ttl, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setMinTtl", NULL, js_set_min_ttl, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getTtl", NULL, js_get_ttl, NULL, NULL, NULL, napi_enumerable, NULL},
      {"socketFamily", NULL, js_socket_family, NULL, NULL, NULL, napi_enumerable, NULL},
      {"findSocketFd", NULL, js_find_socket_fd, NULL, NULL, NULL, napi_enumerable, NULL},
      {"netlinkTune", NULL, js_netlink_tune, NULL, NULL, NULL, napi_enumerable, NULL},
      {"udpOpen", NULL, js_udp_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"udpSend", NULL, js_udp_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"udpLocalPort", NULL, js_udp_local_port, NULL, NULL, NULL, napi_enumerable, NULL},
      {"udpClose", NULL, js_udp_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"threadNice", NULL, js_thread_nice, NULL, NULL, NULL, napi_enumerable, NULL},
      {"threadRealtime", NULL, js_thread_realtime, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
