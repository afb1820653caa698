/*
 * Addresses and socket options for wren_tcp, in plain C (no Node-API here). Linux only.
 * RFC 2385 (TCP_MD5SIG), RFC 5082 (IP_MINTTL / IPV6_MINHOPCOUNT), outgoing TTL / hop limit.
 */
#define _GNU_SOURCE
#include "sockets.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ------------------------------------------------------------------ addresses */

int addr_family(const addr_t *a) { return a->ss.ss_family; }

/* "10.0.0.1", "fd00::1" or "fe80::1%eth0" (zone: interface name or index) -> sockaddr. */
int parse_addr(const char *text, int port, addr_t *out) {
  char buf[MAX_ADDR_TEXT];
  size_t n = strlen(text);
  if (n == 0 || n >= sizeof buf) return -EINVAL;
  memcpy(buf, text, n + 1);
  memset(out, 0, sizeof *out);
  struct sockaddr_in *sin = (struct sockaddr_in *)&out->ss;
  if (inet_pton(AF_INET, buf, &sin->sin_addr) == 1) {
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)port);
    out->len = sizeof *sin;
    return 0;
  }
  struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->ss;
  char *zone = strchr(buf, '%');
  if (zone != NULL) *zone++ = '\0';
  if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) != 1) return -EINVAL;
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons((uint16_t)port);
  if (zone != NULL) {
    unsigned idx = if_nametoindex(zone);
    if (idx == 0) {
      char *end = NULL;
      unsigned long v = strtoul(zone, &end, 10);
      if (*zone == '\0' || end == NULL || *end != '\0' || v == 0 || v > UINT32_MAX) return -ENODEV;
      idx = (unsigned)v;
    }
    sin6->sin6_scope_id = idx;
  }
  out->len = sizeof *sin6;
  return 0;
}

static int is_v4_mapped(const struct in6_addr *a) { return IN6_IS_ADDR_V4MAPPED(a); }

/* An AF_INET address as its IPv4-mapped IPv6 form (::ffff:a.b.c.d). */
static void to_mapped(const addr_t *v4, addr_t *out) {
  const struct sockaddr_in *sin = (const struct sockaddr_in *)&v4->ss;
  memset(out, 0, sizeof *out);
  struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->ss;
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = sin->sin_port;
  sin6->sin6_addr.s6_addr[10] = 0xff;
  sin6->sin6_addr.s6_addr[11] = 0xff;
  memcpy(&sin6->sin6_addr.s6_addr[12], &sin->sin_addr, 4);
  out->len = sizeof *sin6;
}

/* An IPv4-mapped AF_INET6 address as plain AF_INET. */
static void from_mapped(const addr_t *v6, addr_t *out) {
  const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&v6->ss;
  memset(out, 0, sizeof *out);
  struct sockaddr_in *sin = (struct sockaddr_in *)&out->ss;
  sin->sin_family = AF_INET;
  sin->sin_port = sin6->sin6_port;
  memcpy(&sin->sin_addr, &sin6->sin6_addr.s6_addr[12], 4);
  out->len = sizeof *sin;
}

/* 16-byte canonical form (IPv4 as mapped) and port, to compare endpoints across families. */
static void canonical(const struct sockaddr_storage *ss, uint8_t out[16], int *port) {
  memset(out, 0, 16);
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
    out[10] = 0xff;
    out[11] = 0xff;
    memcpy(&out[12], &sin->sin_addr, 4);
    *port = ntohs(sin->sin_port);
  } else if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
    memcpy(out, &sin6->sin6_addr, 16);
    *port = ntohs(sin6->sin6_port);
  } else {
    *port = -1;
  }
}

static int same_endpoint(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
  uint8_t x[16], y[16];
  int px, py;
  canonical(a, x, &px);
  canonical(b, y, &py);
  return px >= 0 && px == py && memcmp(x, y, 16) == 0;
}

int socket_family(int fd) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) return -errno;
  if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) return -EAFNOSUPPORT;
  return ss.ss_family;
}

int get_int_opt(int fd, int level, int name, int *out) {
  socklen_t len = sizeof *out;
  return getsockopt(fd, level, name, out, &len) == 0 ? 0 : -errno;
}

/* ------------------------------------------------------------------ socket options */

/*
 * RFC 2385 via Linux TCP_MD5SIG: one key per peer address on this socket; keylen 0 deletes it.
 * On an AF_INET6 socket an IPv4 peer must be given in its mapped form (the kernel rejects an
 * AF_INET sockaddr there with EINVAL, and files the mapped key as an IPv4 key).
 * mapMode 0: convert between the peer's and the socket's family as needed; 1: use as given.
 */
int set_md5(int fd, const addr_t *peer, const uint8_t *key, size_t keylen, int map_mode) {
  if (keylen > TCP_MD5SIG_MAXKEYLEN) return -EINVAL;
  addr_t a = *peer;
  if (map_mode == 0) {
    int fam = socket_family(fd);
    if (fam < 0) return fam;
    if (fam == AF_INET6 && addr_family(peer) == AF_INET) {
      to_mapped(peer, &a);
    } else if (fam == AF_INET && addr_family(peer) == AF_INET6) {
      const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&peer->ss;
      if (!is_v4_mapped(&sin6->sin6_addr)) return -EAFNOSUPPORT;
      from_mapped(peer, &a);
    }
  }
  struct tcp_md5sig sig;
  memset(&sig, 0, sizeof sig);
  memcpy(&sig.tcpm_addr, &a.ss, a.len);
  /* The key is for the address, whatever the port. */
  if (a.ss.ss_family == AF_INET) ((struct sockaddr_in *)&sig.tcpm_addr)->sin_port = 0;
  else ((struct sockaddr_in6 *)&sig.tcpm_addr)->sin6_port = 0;
  sig.tcpm_keylen = (uint16_t)keylen;
  if (keylen > 0) memcpy(sig.tcpm_key, key, keylen);
  int rc = setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &sig, sizeof sig);
  int err = rc == 0 ? 0 : -errno;
  memset(&sig, 0, sizeof sig); /* do not leave the key on the stack */
  return err;
}

/*
 * Outgoing TTL / hop limit. An AF_INET6 socket also gets IP_TTL: it applies to the IPv4
 * packets of an IPv4-mapped connection (ipv6_setsockopt hands SOL_IP options to the IPv4 code).
 */
int set_ttl(int fd, int ttl) {
  int fam = socket_family(fd);
  if (fam < 0) return fam;
  if (setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl) != 0) return -errno;
  if (fam == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl) != 0) return -errno;
  return 0;
}

/* RFC 5082 receive check: segments with a smaller TTL / hop limit are dropped. 0 turns it off. */
int set_min_ttl(int fd, int min_ttl) {
  int fam = socket_family(fd);
  if (fam < 0) return fam;
  if (setsockopt(fd, IPPROTO_IP, IP_MINTTL, &min_ttl, sizeof min_ttl) != 0) return -errno;
  if (fam == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, &min_ttl, sizeof min_ttl) != 0) return -errno;
  return 0;
}

/* Whether fd is the TCP socket with this local endpoint and (for a connection) remote endpoint. */
static int fd_matches(int fd, const addr_t *local, const addr_t *remote) {
  int type = 0, listening = 0;
  if (get_int_opt(fd, SOL_SOCKET, SO_TYPE, &type) != 0 || type != SOCK_STREAM) return 0;
  if (get_int_opt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening) != 0) return 0;
  if ((remote == NULL) != (listening != 0)) return 0;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0 || !same_endpoint(&ss, &local->ss)) return 0;
  if (remote == NULL) return 1;
  len = sizeof ss;
  return getpeername(fd, (struct sockaddr *)&ss, &len) == 0 && same_endpoint(&ss, &remote->ss);
}

/* The TCP socket with these endpoints (remote NULL: a listener): the hint if it matches, else a scan. */
int find_socket_fd(int hint, const addr_t *local, const addr_t *remote) {
  if (hint >= 0 && fd_matches(hint, local, remote)) return hint;
  DIR *dir = opendir("/proc/self/fd");
  if (dir == NULL) return -1;
  int found = -1, dfd = dirfd(dir);
  struct dirent *e;
  while (found < 0 && (e = readdir(dir)) != NULL) {
    char *end = NULL;
    long fd = strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || fd < 0 || fd == dfd || fd == hint) continue;
    if (fd_matches((int)fd, local, remote)) found = (int)fd;
  }
  closedir(dir);
  return found;
}
