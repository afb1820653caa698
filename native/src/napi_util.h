/* Small Node-API helpers shared by wren_tcp's calls: argument reading and result objects. */
#ifndef WREN_NAPI_UTIL_H
#define WREN_NAPI_UTIL_H

#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

#define CHECK(call)                                                 \
  do {                                                              \
    if ((call) != napi_ok) {                                        \
      napi_throw_error(env, NULL, "wren_tcp: N-API call failed");   \
      return NULL;                                                  \
    }                                                               \
  } while (0)

/* Throws a TypeError (code ERR_INVALID_ARG_TYPE) and returns NULL. */
napi_value type_error(napi_env env, const char *what);
napi_value make_int(napi_env env, int v);
/* { errno, syscall } with errno positive. */
napi_value make_error(napi_env env, int neg_errno, const char *syscall);
/* rc < 0: { errno, syscall }; otherwise the number rc. */
napi_value result(napi_env env, int rc, const char *syscall);
/* 0 when read, -1 on a bad type. */
int get_int(napi_env env, napi_value v, int *out);
/* 0 when read, 1 when null/undefined, -1 on a bad type or length. */
int get_str(napi_env env, napi_value v, char *buf, size_t size);
/* A Buffer of at most 80 bytes: 0 when read, 1 when null/undefined (keylen 0), -1 otherwise. */
int get_key(napi_env env, napi_value v, uint8_t *key, size_t *keylen);
/* obj[name], or NULL. */
napi_value named(napi_env env, napi_value obj, const char *name);

/* connect.c */
napi_value js_connect(napi_env env, napi_callback_info info);
/* netlink_tune.c */
napi_value js_netlink_tune(napi_env env, napi_callback_info info);
/* udp.c (BFD) */
napi_value js_udp_open(napi_env env, napi_callback_info info);
napi_value js_udp_send(napi_env env, napi_callback_info info);
napi_value js_udp_local_port(napi_env env, napi_callback_info info);
napi_value js_udp_close(napi_env env, napi_callback_info info);
napi_value js_thread_nice(napi_env env, napi_callback_info info);
napi_value js_thread_realtime(napi_env env, napi_callback_info info);

#endif
