# node-gyp build of the aoekit packet addon (plain C, Node-API 8): AF_PACKET and slab file I/O on Linux, ENOSYS elsewhere.
{
  "targets": [
    {
      "target_name": "aoekit_packet",
      "sources": ["native/binding.c", "native/binding_poll.c", "native/binding_nic.c", "native/binding_send.c", "native/binding_file.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-Wall", "-Wextra", "-Wunused-parameter", "-std=gnu11", "-fvisibility=hidden"],
      "configurations": {
        "Release": { "cflags!": ["-O3"], "cflags": ["-O2"] }
      },
      "xcode_settings": {
        "OTHER_CFLAGS": ["-O2", "-Wall", "-Wextra", "-std=gnu11"]
      },
      "conditions": [
        ["OS=='linux'", { "sources": ["native/packet_linux.c", "native/packet_ring_linux.c", "native/packet_send_linux.c", "native/netns_linux.c", "native/nic_linux.c", "native/fileio_linux.c"] }],
        ["OS!='linux'", { "sources": ["native/packet_other.c", "native/fileio_other.c"] }]
      ]
    }
  ]
}
