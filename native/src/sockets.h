/* Addresses and socket options, without Node-API: see sockets.c. */
#ifndef WREN_SOCKETS_H
#define WREN_SOCKETS_H

#include <netinet/in.h>
#include <netinet/tcp.h> /* TCP_MD5SIG, TCP_MD5SIG_MAXKEYLEN */
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#ifndef IP_MINTTL
#define IP_MINTTL 21
#endif
#ifndef IPV6_MINHOPCOUNT
#define IPV6_MINHOPCOUNT 73
#endif

/* Longest address text we take: an IPv6 address with a zone. */
#define MAX_ADDR_TEXT 64

typedef struct {
  struct sockaddr_storage ss;
  socklen_t len;
} addr_t;

int addr_family(const addr_t *a);
/* "10.0.0.1", "fd00::1" or "fe80::1%eth0" -> sockaddr with port; 0 or -errno. */
int parse_addr(const char *text, int port, addr_t *out);
/* AF_INET or AF_INET6 of a socket, or -errno. */
int socket_family(int fd);
/* Integer getsockopt; 0 or -errno. */
int get_int_opt(int fd, int level, int name, int *out);
/* RFC 2385 key for one peer (keylen 0 deletes); mapMode 0 converts to the socket's family. 0 or -errno. */
int set_md5(int fd, const addr_t *peer, const uint8_t *key, size_t keylen, int map_mode);
/* Outgoing TTL / hop limit; 0 or -errno. */
int set_ttl(int fd, int ttl);
/* Minimum incoming TTL / hop limit (RFC 5082), 0 = off; 0 or -errno. */
int set_min_ttl(int fd, int min_ttl);
/* The TCP socket with these endpoints (remote NULL: a listener), hint first, then /proc/self/fd; -1 if none. */
int find_socket_fd(int hint, const addr_t *local, const addr_t *remote);

#endif
