{
  # wren's native helper for TCP socket options (docs/decisions/0002-tcp-socket-options.md).
  # Built by `npm run build:native` (node-gyp rebuild -C native) into build/Release/wren_tcp.node.
  # Node-API only (and libuv's uv_poll for the BFD sockets, src/udp.c): no node-addon-api, no V8 headers;
  # Linux only (TCP_MD5SIG, IP_MINTTL, IP_RECVTTL).
  "targets": [
    {
      "target_name": "wren_tcp",
      "sources": ["src/wren_tcp.c", "src/connect.c", "src/sockets.c", "src/napi_util.c", "src/netlink_tune.c", "src/udp.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-fvisibility=hidden"],
      "conditions": [
        ["OS!='linux'", { "type": "none", "sources": [] }]
      ]
    }
  ]
}
