/*
 * wren_tcp connect(): a TCP connection with its options set before the SYN, made on a libuv pool
 * thread (a Node-API async worker) and handed back as a connected, non-blocking descriptor.
 *
 *   connect({ address, port, localAddress, key, ttl, minTtl, timeoutMs }, callback(errno, syscall, fd))
 *     -> { cancel() }
 *
 * Exactly one callback; when errno is 0 the callback owns fd. cancel() wakes the worker through a
 * pipe (the result is then ECANCELED unless connect already won). No descriptor outlives a failure.
 */
#define _GNU_SOURCE
#include "napi_util.h"
#include "sockets.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  napi_async_work work;
  napi_ref callback;
  addr_t remote;
  addr_t local;
  int has_local;
  uint8_t key[TCP_MD5SIG_MAXKEYLEN];
  size_t keylen;
  int ttl;     /* -1: leave the default */
  int min_ttl; /* -1: leave the default */
  int timeout_ms;
  int wake[2]; /* pipe: cancel() writes, the worker's poll() wakes */
  /* results */
  int fd;
  int err; /* negative errno or 0 */
  const char *syscall;
  /* lifetime: the worker and the JS handle each hold one reference */
  int refs;
  int completed;
} connect_req;

static void release(connect_req *r) {
  if (--r->refs > 0) return;
  memset(r->key, 0, sizeof r->key);
  free(r);
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Records the failure and closes fd. Returns the negative errno, so `return fail(...)` reads well. */
static int fail(connect_req *r, int fd, int neg_errno, const char *syscall) {
  if (fd >= 0) close(fd);
  r->fd = -1;
  r->err = neg_errno;
  r->syscall = syscall;
  return neg_errno;
}

/* Runs on a thread-pool thread: no N-API calls here. Leaves r->fd connected, or r->err set. */
static int run_connect(connect_req *r) {
  int fam = addr_family(&r->remote);
  int fd = socket(fam, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) return fail(r, -1, -errno, "socket");
  int rc;
  /* RFC 2385: the key must be in place before the SYN is sent. */
  if (r->keylen > 0 && (rc = set_md5(fd, &r->remote, r->key, r->keylen, 1)) != 0) return fail(r, fd, rc, "setsockopt(TCP_MD5SIG)");
  if (r->ttl >= 0 && (rc = set_ttl(fd, r->ttl)) != 0) return fail(r, fd, rc, "setsockopt(IP_TTL)");
  if (r->min_ttl >= 0 && (rc = set_min_ttl(fd, r->min_ttl)) != 0) return fail(r, fd, rc, "setsockopt(IP_MINTTL)");
  if (r->has_local && bind(fd, (struct sockaddr *)&r->local.ss, r->local.len) != 0) return fail(r, fd, -errno, "bind");
  if (connect(fd, (struct sockaddr *)&r->remote.ss, r->remote.len) == 0) {
    r->fd = fd;
    return 0;
  }
  if (errno != EINPROGRESS) return fail(r, fd, -errno, "connect");
  int64_t deadline = now_ms() + r->timeout_ms;
  for (;;) {
    int64_t left = deadline - now_ms();
    if (left <= 0) return fail(r, fd, -ETIMEDOUT, "connect");
    struct pollfd p[2] = {{.fd = fd, .events = POLLOUT}, {.fd = r->wake[0], .events = POLLIN}};
    int n = poll(p, 2, left > INT32_MAX ? INT32_MAX : (int)left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(r, fd, -errno, "poll");
    if (n == 0) continue; /* re-check the deadline */
    if (p[1].revents != 0) return fail(r, fd, -ECANCELED, "connect");
    if (p[0].revents == 0) continue;
    int so_error = 0;
    socklen_t len = sizeof so_error;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0) return fail(r, fd, -errno, "getsockopt(SO_ERROR)");
    if (so_error != 0) return fail(r, fd, -so_error, "connect");
    r->fd = fd;
    return 0;
  }
}

static void connect_execute(napi_env env, void *data) {
  (void)env;
  (void)run_connect(data);
}

/* Runs on the main thread. */
static void connect_complete(napi_env env, napi_status status, void *data) {
  connect_req *r = data;
  r->completed = 1;
  close(r->wake[0]);
  close(r->wake[1]);
  if (status != napi_ok) {
    /* cancelled by the environment shutting down: nobody will take the descriptor */
    if (r->fd >= 0) close(r->fd);
    r->fd = -1;
  } else {
    napi_handle_scope scope;
    napi_open_handle_scope(env, &scope);
    napi_value cb, global, argv[3], ignored;
    if (napi_get_reference_value(env, r->callback, &cb) == napi_ok && cb != NULL && napi_get_global(env, &global) == napi_ok) {
      napi_create_int32(env, r->err < 0 ? -r->err : 0, &argv[0]);
      if (r->syscall != NULL) napi_create_string_utf8(env, r->syscall, NAPI_AUTO_LENGTH, &argv[1]);
      else napi_get_null(env, &argv[1]);
      napi_create_int32(env, r->fd, &argv[2]);
      if (napi_call_function(env, global, cb, 3, argv, &ignored) != napi_ok) {
        bool pending = false;
        napi_is_exception_pending(env, &pending);
        if (pending) {
          /* The callback ran and owns the descriptor; it must not throw, so this is a bug: crash loudly. */
          napi_value exc;
          napi_get_and_clear_last_exception(env, &exc);
          napi_fatal_exception(env, exc);
        } else if (r->fd >= 0) {
          close(r->fd); /* JavaScript could not run (shutting down): nobody took the descriptor */
        }
      }
    } else if (r->fd >= 0) {
      close(r->fd);
    }
    napi_close_handle_scope(env, scope);
  }
  napi_delete_reference(env, r->callback);
  napi_delete_async_work(env, r->work);
  release(r);
}

static void handle_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  release(data);
}

static napi_value handle_cancel(napi_env env, napi_callback_info info) {
  napi_value self;
  CHECK(napi_get_cb_info(env, info, NULL, NULL, &self, NULL));
  void *data = NULL;
  CHECK(napi_unwrap(env, self, &data));
  connect_req *r = data;
  if (!r->completed) {
    char b = 1;
    ssize_t ignored = write(r->wake[1], &b, 1);
    (void)ignored;
  }
  return NULL;
}

/*
 * connect({ address, port, localAddress, key, ttl, minTtl, timeoutMs }, callback(errno, syscall, fd))
 * Returns { cancel() }. Exactly one callback call; when errno is 0 the callback owns fd.
 */
napi_value js_connect(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) return type_error(env, "connect(request, callback)");
  napi_valuetype t;
  CHECK(napi_typeof(env, argv[1], &t));
  if (t != napi_function) return type_error(env, "callback must be a function");

  connect_req *r = calloc(1, sizeof *r);
  if (r == NULL) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  r->fd = -1;
  r->wake[0] = r->wake[1] = -1;
  char text[MAX_ADDR_TEXT];
  int port = 0;
  const char *bad = NULL;
  if (get_str(env, named(env, argv[0], "address"), text, sizeof text) != 0) bad = "address";
  else if (get_int(env, named(env, argv[0], "port"), &port) != 0 || port < 1 || port > 65535) bad = "port";
  else if (parse_addr(text, port, &r->remote) != 0) bad = "address";
  if (bad == NULL) {
    int s = get_str(env, named(env, argv[0], "localAddress"), text, sizeof text);
    if (s < 0) bad = "localAddress";
    else if (s == 0) {
      if (parse_addr(text, 0, &r->local) != 0 || addr_family(&r->local) != addr_family(&r->remote)) bad = "localAddress";
      else r->has_local = 1;
    }
  }
  if (bad == NULL && get_key(env, named(env, argv[0], "key"), r->key, &r->keylen) < 0) bad = "key";
  if (bad == NULL && (get_int(env, named(env, argv[0], "ttl"), &r->ttl) != 0 || r->ttl < -1 || r->ttl > 255)) bad = "ttl";
  if (bad == NULL && (get_int(env, named(env, argv[0], "minTtl"), &r->min_ttl) != 0 || r->min_ttl < -1 || r->min_ttl > 255)) bad = "minTtl";
  if (bad == NULL && (get_int(env, named(env, argv[0], "timeoutMs"), &r->timeout_ms) != 0 || r->timeout_ms < 1)) bad = "timeoutMs";
  if (bad != NULL) {
    memset(r->key, 0, sizeof r->key);
    free(r);
    return type_error(env, bad);
  }
  if (pipe2(r->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    int e = errno;
    free(r);
    return make_error(env, -e, "pipe2");
  }

  napi_value handle, cancel, name;
  if (napi_create_reference(env, argv[1], 1, &r->callback) != napi_ok ||
      napi_create_string_utf8(env, "wren_tcp.connect", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, connect_execute, connect_complete, r, &r->work) != napi_ok) {
    if (r->callback != NULL) napi_delete_reference(env, r->callback);
    close(r->wake[0]);
    close(r->wake[1]);
    free(r);
    napi_throw_error(env, NULL, "wren_tcp: could not create the connect worker");
    return NULL;
  }
  r->refs = 1; /* the worker's */
  if (napi_create_object(env, &handle) != napi_ok ||
      napi_create_function(env, "cancel", NAPI_AUTO_LENGTH, handle_cancel, NULL, &cancel) != napi_ok ||
      napi_set_named_property(env, handle, "cancel", cancel) != napi_ok ||
      napi_wrap(env, handle, r, handle_finalize, NULL, NULL) != napi_ok) {
    napi_delete_async_work(env, r->work);
    napi_delete_reference(env, r->callback);
    close(r->wake[0]);
    close(r->wake[1]);
    free(r);
    napi_throw_error(env, NULL, "wren_tcp: could not create the connect handle");
    return NULL;
  }
  r->refs = 2; /* + the handle's, released by its finalizer */
  if (napi_queue_async_work(env, r->work) != napi_ok) {
    /* The handle's finalizer will release its reference; drop the worker's here. */
    r->completed = 1;
    close(r->wake[0]);
    close(r->wake[1]);
    napi_delete_reference(env, r->callback);
    napi_delete_async_work(env, r->work);
    release(r);
    napi_throw_error(env, NULL, "wren_tcp: could not queue the connect worker");
    return NULL;
  }
  return handle;
}
