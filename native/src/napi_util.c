/* Node-API helpers for wren_tcp (see napi_util.h). */
#include "napi_util.h"

#include <netinet/tcp.h>
#include <string.h>

napi_value type_error(napi_env env, const char *what) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", what);
  return NULL;
}

napi_value make_int(napi_env env, int v) {
  napi_value out;
  if (napi_create_int32(env, v, &out) != napi_ok) return NULL;
  return out;
}

/* { errno, syscall } with errno positive. */
napi_value make_error(napi_env env, int neg_errno, const char *syscall) {
  napi_value obj, e, s;
  if (napi_create_object(env, &obj) != napi_ok) return NULL;
  if (napi_create_int32(env, -neg_errno, &e) != napi_ok) return NULL;
  if (napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &s) != napi_ok) return NULL;
  napi_set_named_property(env, obj, "errno", e);
  napi_set_named_property(env, obj, "syscall", s);
  return obj;
}

int get_int(napi_env env, napi_value v, int *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return -1;
  return napi_get_value_int32(env, v, out) == napi_ok ? 0 : -1;
}

/* A string argument into buf; 1 when it is null/undefined, 0 when read, -1 on a bad type. */
int get_str(napi_env env, napi_value v, char *buf, size_t size) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return -1;
  if (t == napi_null || t == napi_undefined) return 1;
  if (t != napi_string) return -1;
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, buf, size, &len) != napi_ok) return -1;
  return len + 1 >= size ? -1 : 0;
}

/* A Buffer argument (key); 1 when null/undefined, 0 when read, -1 on a bad type or size. */
int get_key(napi_env env, napi_value v, uint8_t *key, size_t *keylen) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return -1;
  if (t == napi_null || t == napi_undefined) {
    *keylen = 0;
    return 1;
  }
  bool is_buf = false;
  if (napi_is_buffer(env, v, &is_buf) != napi_ok || !is_buf) return -1;
  void *data = NULL;
  size_t len = 0;
  if (napi_get_buffer_info(env, v, &data, &len) != napi_ok || len > TCP_MD5SIG_MAXKEYLEN) return -1;
  if (len > 0) memcpy(key, data, len);
  *keylen = len;
  return 0;
}

napi_value named(napi_env env, napi_value obj, const char *name) {
  napi_value v = NULL;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok) return NULL;
  return v;
}

napi_value result(napi_env env, int rc, const char *syscall) {
  return rc < 0 ? make_error(env, rc, syscall) : make_int(env, rc);
}
