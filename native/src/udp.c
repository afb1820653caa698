/*
 * wren_tcp's UDP sockets for BFD (RFC 5881, RFC 5883): what node:dgram cannot do, a received
 * datagram's TTL / hop limit (RFC 5881 5: single-hop packets are accepted only with 255; IP_MINTTL
 * and IPV6_MINHOPCOUNT do not filter UDP on Linux, docs/decisions/0010-bfd-worker.md).
 *
 *   udpOpen(address, port, ttl, onMessage | null) -> handle | { errno, syscall }
 *       socket(SOCK_DGRAM, non-blocking), IPV6_V6ONLY on IPv6 (a v4 and a v6 socket share a
 *       port), outgoing TTL / hop limit (ttl -1: the default), bind(address, port). With
 *       onMessage: IP_RECVTTL + IP_PKTINFO (IPV6_RECVHOPLIMIT + IPV6_RECVPKTINFO) and a uv_poll on
 *       the loop of the calling thread (the main thread or a worker: napi_get_uv_event_loop);
 *       each datagram is read with recvmsg() and handed to
 *         onMessage(bytes: Buffer, from: string, fromPort: number, ttl: number, to: string, ifindex: number)
 *       (ttl -1 when the kernel gave none).
 *   udpSend(handle, bytes, address, port) -> bytes sent | { errno, syscall }   (sendto, never blocks)
 *   udpLocalPort(handle) -> port | { errno, syscall }
 *   udpClose(handle) -> 0                                         (idempotent)
 *   threadRealtime(priority) -> 0 | { errno, syscall }
 *       sched_setscheduler(gettid(), SCHED_RR, priority) for 1..99, back to SCHED_OTHER for 0: the
 *       calling thread only. Needs CAP_SYS_NICE (EPERM otherwise).
 *   threadNice(nice) -> 0 | { errno, syscall }
 *       setpriority(PRIO_PROCESS, gettid(), nice): the nice value of the calling thread only (Linux
 *       gives each thread its own); the BFD thread asks for a lower one (docs/bfd.md). Needs
 *       CAP_SYS_NICE below the current value (EACCES / EPERM otherwise).
 *
 * Lifetime: the handle's socket is closed by udpClose(), or, if the JS side never calls it, when the
 * environment (the thread) is torn down, through an async cleanup hook that stops the poll and
 * waits for uv_close() to finish before the loop goes: a worker ending with its socket open is
 * never left with a poll handle on a dead loop. The memory is freed once both the handle is closed
 * and the JS object is collected.
 */
#define _GNU_SOURCE
#include "napi_util.h"
#include "sockets.h"

#include <arpa/inet.h>
#include <sched.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <uv.h>

/* BFD packets are at most 255 bytes (the Length field is one byte); anything longer is cut. */
#define UDP_BUF 512
/* Datagrams read per wake-up before the loop gets a turn. */
#define UDP_BURST 64

typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_async_context actx;
  napi_async_cleanup_hook_handle cleanup;
  int fd;
  int family;
  int polling;     /* uv_poll_init done: uv_close owed */
  int closed;      /* fd closed, poll stopping */
  int handle_done; /* uv_close finished, or never needed */
  int finalized;   /* the JS object is gone */
} udp_handle;

static void maybe_free(udp_handle *h) {
  if (h->handle_done && h->finalized) free(h);
}

static void on_uv_closed(uv_handle_t *handle) {
  udp_handle *h = (udp_handle *)handle->data;
  h->handle_done = 1;
  if (h->cleanup != NULL) {
    napi_async_cleanup_hook_handle c = h->cleanup;
    h->cleanup = NULL;
    napi_remove_async_cleanup_hook(c);
  }
  maybe_free(h);
}

/* Stops reading and closes the descriptor; the memory waits for uv_close and the finalizer. */
static void close_handle(udp_handle *h) {
  if (h->closed) return;
  h->closed = 1;
  if (h->polling) {
    uv_poll_stop(&h->poll);
  }
  if (h->fd >= 0) {
    close(h->fd);
    h->fd = -1;
  }
  if (h->callback != NULL) napi_delete_reference(h->env, h->callback);
  if (h->actx != NULL) napi_async_destroy(h->env, h->actx);
  h->callback = NULL;
  h->actx = NULL;
  if (h->polling) {
    uv_close((uv_handle_t *)&h->poll, on_uv_closed);
  } else {
    h->handle_done = 1;
    if (h->cleanup != NULL) {
      napi_async_cleanup_hook_handle c = h->cleanup;
      h->cleanup = NULL;
      napi_remove_async_cleanup_hook(c);
    }
  }
}

/*
 * The environment (thread) is going away with the socket still open. Async cleanup hooks run while
 * the environment is alive and before its finalizers (Node-API's own cleanup hook, registered when
 * the addon loaded, runs after this one); teardown waits until on_uv_closed removes the hook.
 */
static void on_env_cleanup(napi_async_cleanup_hook_handle handle, void *arg) {
  (void)handle;
  close_handle((udp_handle *)arg);
}

static void on_finalize(napi_env env, void *data, void *hint) {
  udp_handle *h = (udp_handle *)data;
  (void)hint;
  h->finalized = 1;
  close_handle(h);
  maybe_free(h);
}

static napi_value str_of(napi_env env, const char *s) {
  napi_value v;
  if (napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v) != napi_ok) return NULL;
  return v;
}

/* One datagram to JS. Returns 0 to go on reading, -1 to stop (an exception was raised). */
static int deliver(udp_handle *h, const uint8_t *data, size_t len, const struct sockaddr_storage *from, int ttl, const char *to, int ifindex) {
  napi_env env = h->env;
  char text[INET6_ADDRSTRLEN] = "";
  int port = 0;
  if (from->ss_family == AF_INET) {
    const struct sockaddr_in *sin = (const struct sockaddr_in *)from;
    inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text);
    port = ntohs(sin->sin_port);
  } else if (from->ss_family == AF_INET6) {
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)from;
    inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof text);
    port = ntohs(sin6->sin6_port);
  }
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return -1;
  int rc = 0;
  napi_value cb, recv, argv[6], result;
  void *copy = NULL;
  if (napi_get_reference_value(env, h->callback, &cb) != napi_ok || cb == NULL || napi_get_global(env, &recv) != napi_ok ||
      napi_create_buffer_copy(env, len, data, &copy, &argv[0]) != napi_ok) {
    napi_close_handle_scope(env, scope);
    return -1;
  }
  argv[1] = str_of(env, text);
  argv[2] = make_int(env, port);
  argv[3] = make_int(env, ttl);
  argv[4] = str_of(env, to);
  argv[5] = make_int(env, ifindex);
  napi_status st = napi_make_callback(env, h->actx, recv, cb, 6, argv, &result);
  if (st == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err); /* the thread's uncaughtException, as for any callback */
    rc = -1;
  } else if (st != napi_ok) {
    rc = -1;
  }
  napi_close_handle_scope(env, scope);
  return rc;
}

static void on_readable(uv_poll_t *poll, int status, int events) {
  udp_handle *h = (udp_handle *)poll->data;
  (void)events;
  if (status < 0 || h->closed) return;
  for (int i = 0; i < UDP_BURST && !h->closed; i++) {
    uint8_t buf[UDP_BUF];
    union {
      struct cmsghdr align;
      char bytes[256];
    } control;
    struct sockaddr_storage from;
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.bytes;
    msg.msg_controllen = sizeof control.bytes;
    ssize_t n = recvmsg(h->fd, &msg, MSG_DONTWAIT);
    if (n < 0) return; /* EAGAIN (drained), or an error the next wake-up sees again */
    int ttl = -1, ifindex = 0;
    char to[INET6_ADDRSTRLEN] = "";
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
        memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
        memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
      } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        struct in_pktinfo pi;
        memcpy(&pi, CMSG_DATA(c), sizeof pi);
        ifindex = pi.ipi_ifindex;
        inet_ntop(AF_INET, &pi.ipi_addr, to, sizeof to);
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
        struct in6_pktinfo pi;
        memcpy(&pi, CMSG_DATA(c), sizeof pi);
        ifindex = (int)pi.ipi6_ifindex;
        inet_ntop(AF_INET6, &pi.ipi6_addr, to, sizeof to);
      }
    }
    size_t len = (size_t)n > sizeof buf ? sizeof buf : (size_t)n;
    if (deliver(h, buf, len, &from, ttl, to, ifindex) != 0) return;
  }
}

static int set_recv_options(int fd, int family) {
  int one = 1;
  if (family == AF_INET) {
    if (setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof one) != 0) return -errno;
    if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) != 0) return -errno;
  } else {
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof one) != 0) return -errno;
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one) != 0) return -errno;
  }
  return 0;
}

static udp_handle *unwrap(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_unwrap(env, v, &p) != napi_ok) return NULL;
  return (udp_handle *)p;
}

/* udpOpen(address, port, ttl, onMessage | null) */
napi_value js_udp_open(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char text[MAX_ADDR_TEXT];
  int port, ttl;
  addr_t a;
  napi_valuetype cbt = napi_undefined;
  if (argc < 4 || get_str(env, argv[0], text, sizeof text) != 0 || get_int(env, argv[1], &port) != 0 || port < 0 || port > 65535 ||
      get_int(env, argv[2], &ttl) != 0 || ttl < -1 || ttl > 255 || napi_typeof(env, argv[3], &cbt) != napi_ok ||
      (cbt != napi_function && cbt != napi_null && cbt != napi_undefined) || parse_addr(text, port, &a) != 0) {
    return type_error(env, "udpOpen(address, port, ttl, onMessage)");
  }
  int fam = addr_family(&a);
  int fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) return make_error(env, -errno, "socket");
  int one = 1, rc;
  if (fam == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) {
    rc = -errno;
    close(fd);
    return make_error(env, rc, "setsockopt(IPV6_V6ONLY)");
  }
  if (ttl >= 0 && (rc = set_ttl(fd, ttl)) != 0) {
    close(fd);
    return make_error(env, rc, "setsockopt(IP_TTL)");
  }
  if (cbt == napi_function && (rc = set_recv_options(fd, fam)) != 0) {
    close(fd);
    return make_error(env, rc, "setsockopt(IP_RECVTTL)");
  }
  if (bind(fd, (struct sockaddr *)&a.ss, a.len) != 0) {
    rc = -errno;
    close(fd);
    return make_error(env, rc, "bind");
  }
  udp_handle *h = calloc(1, sizeof *h);
  if (h == NULL) {
    close(fd);
    return make_error(env, -ENOMEM, "calloc");
  }
  h->env = env;
  h->fd = fd;
  h->family = fam;
  napi_value obj;
  if (napi_create_object(env, &obj) != napi_ok || napi_wrap(env, obj, h, on_finalize, NULL, NULL) != napi_ok) {
    close(fd);
    free(h);
    napi_throw_error(env, NULL, "wren_tcp: udpOpen could not make its handle");
    return NULL;
  }
  if (cbt == napi_function) {
    uv_loop_t *loop = NULL;
    napi_value name;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == NULL || napi_create_reference(env, argv[3], 1, &h->callback) != napi_ok ||
        napi_create_string_utf8(env, "wren:bfd-udp", NAPI_AUTO_LENGTH, &name) != napi_ok || napi_async_init(env, obj, name, &h->actx) != napi_ok ||
        uv_poll_init(loop, &h->poll, fd) != 0) {
      close_handle(h);
      napi_throw_error(env, NULL, "wren_tcp: udpOpen could not watch its socket");
      return NULL;
    }
    h->poll.data = h;
    h->polling = 1;
    if (uv_poll_start(&h->poll, UV_READABLE, on_readable) != 0) {
      close_handle(h);
      napi_throw_error(env, NULL, "wren_tcp: uv_poll_start failed");
      return NULL;
    }
  }
  if (napi_add_async_cleanup_hook(env, on_env_cleanup, h, &h->cleanup) != napi_ok) h->cleanup = NULL;
  return obj;
}

/* udpSend(handle, bytes, address, port) -> bytes sent | { errno, syscall } */
napi_value js_udp_send(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char text[MAX_ADDR_TEXT];
  int port;
  addr_t a;
  bool is_buf = false;
  void *data = NULL;
  size_t len = 0;
  udp_handle *h = argc >= 4 ? unwrap(env, argv[0]) : NULL;
  if (h == NULL || napi_is_buffer(env, argv[1], &is_buf) != napi_ok || !is_buf || napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok ||
      get_str(env, argv[2], text, sizeof text) != 0 || get_int(env, argv[3], &port) != 0 || port <= 0 || port > 65535 || parse_addr(text, port, &a) != 0) {
    return type_error(env, "udpSend(handle, bytes, address, port)");
  }
  if (h->closed) return make_error(env, -EBADF, "sendto");
  if (addr_family(&a) != h->family) return make_error(env, -EAFNOSUPPORT, "sendto");
  ssize_t n = sendto(h->fd, data, len, MSG_DONTWAIT, (struct sockaddr *)&a.ss, a.len);
  return n < 0 ? make_error(env, -errno, "sendto") : make_int(env, (int)n);
}

/* udpLocalPort(handle) -> port */
napi_value js_udp_local_port(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  udp_handle *h = argc >= 1 ? unwrap(env, argv[0]) : NULL;
  if (h == NULL) return type_error(env, "udpLocalPort(handle)");
  if (h->closed) return make_error(env, -EBADF, "getsockname");
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(h->fd, (struct sockaddr *)&ss, &len) != 0) return make_error(env, -errno, "getsockname");
  int port = ss.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port) : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
  return make_int(env, port);
}

/* udpClose(handle) -> 0 */
napi_value js_udp_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  udp_handle *h = argc >= 1 ? unwrap(env, argv[0]) : NULL;
  if (h == NULL) return type_error(env, "udpClose(handle)");
  close_handle(h);
  return make_int(env, 0);
}

/* threadNice(nice) -> 0 | { errno, syscall } */
napi_value js_thread_nice(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int nice = 0;
  if (argc < 1 || get_int(env, argv[0], &nice) != 0 || nice < -20 || nice > 19) return type_error(env, "threadNice(nice: -20..19)");
  pid_t tid = (pid_t)syscall(SYS_gettid);
  if (setpriority(PRIO_PROCESS, (id_t)tid, nice) != 0) return make_error(env, -errno, "setpriority");
  return make_int(env, 0);
}

/* threadRealtime(priority) -> 0 | { errno, syscall } */
napi_value js_thread_realtime(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int prio = 0;
  if (argc < 1 || get_int(env, argv[0], &prio) != 0 || prio < 0 || prio > 99) return type_error(env, "threadRealtime(priority: 0..99)");
  struct sched_param sp;
  memset(&sp, 0, sizeof sp);
  sp.sched_priority = prio;
  pid_t tid = (pid_t)syscall(SYS_gettid);
  if (sched_setscheduler(tid, prio > 0 ? SCHED_RR : SCHED_OTHER, &sp) != 0) return make_error(env, -errno, "sched_setscheduler");
  return make_int(env, 0);
}
