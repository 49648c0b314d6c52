/* Plain C raw-Ethernet socket API (no N-API types): open, receive/send batches, NIC facts, MTU. */
#ifndef AOEKIT_PACKET_H
#define AOEKIT_PACKET_H

#include <stddef.h>
#include <stdint.h>

#define PACKET_ETHERTYPE_AOE 0x88A2
#define PACKET_NAME_MAX 16 /* IFNAMSIZ on Linux, including the terminating NUL */

/* Which AoE frames the socket's BPF filter lets through (AoE flags byte 14, response bit 0x08). */
enum packet_filter_mode {
  PACKET_FILTER_ALL = 0,
  PACKET_FILTER_REQUESTS = 1, /* response bit clear */
  PACKET_FILTER_RESPONSES = 2 /* response bit set */
};

/* Interface flag bits reported by packet_interface_info (portable subset). */
#define PACKET_IF_UP 0x1u
#define PACKET_IF_CARRIER 0x2u

/*
 * Slots of the counters array shared with JS (doubles, so JS reads them without calling C).
 * C only ever adds to the counter slots; FLAGS and MTU are overwritten by packet_refresh.
 */
enum packet_counter {
  PACKET_COUNTER_FRAMES_IN = 0,
  PACKET_COUNTER_BYTES_IN,
  PACKET_COUNTER_FRAMES_OUT,
  PACKET_COUNTER_BYTES_OUT,
  PACKET_COUNTER_BATCHES_IN,
  PACKET_COUNTER_SEND_BLOCKED,
  PACKET_COUNTER_SEND_ERRORS,
  PACKET_COUNTER_TRUNCATED,
  PACKET_COUNTER_KERNEL_DROPS,
  PACKET_COUNTER_RECEIVE_ERRORS,
  PACKET_COUNTER_FLAGS,
  PACKET_COUNTER_MTU,
  PACKET_COUNTER_COUNT
};

/* Why a call failed: errno value, the failing system call, what it was about, an optional hint. */
typedef struct packet_error {
  int code;
  const char *syscall;
  const char *hint;
  const char *subject; /* interface or namespace name; points into the caller's argument */
} packet_error;

typedef struct packet_interface {
  char name[PACKET_NAME_MAX];
  int ifindex;
  uint8_t mac[6];
  uint32_t mtu;
  uint32_t flags; /* PACKET_IF_* */
} packet_interface;

typedef struct packet_open_options {
  const char *ifname;
  const char *netns; /* name under /run/netns, or NULL for the current namespace */
  int filter_mode;   /* enum packet_filter_mode */
  int receive_buffer_bytes; /* 0 = kernel default */
  int send_buffer_bytes;    /* 0 = kernel default */
  uint32_t ring_bytes;      /* > 0: receive through a TPACKET_V2 ring of about this size (set up before bind) */
  uint32_t ring_slot_size;  /* largest frame the ring's slots hold */
} packet_open_options;

/* One frame to send: the first `length` bytes of `data`. */
typedef struct packet_frame {
  const uint8_t *data;
  uint32_t length;
} packet_frame;

typedef struct packet_socket packet_socket;

/* Returns 0 and *out, or -1 with *error filled. */
int packet_open(const packet_open_options *options, packet_socket **out, packet_error *error);
int packet_fd(const packet_socket *sock);
int packet_ifindex(const packet_socket *sock);
/* Closes the descriptor and frees the socket. Safe with NULL. */
void packet_close(packet_socket *sock);

/*
 * Points the receive slots at `slot_count` slots of `slot_size` bytes in `slab`. With a ring, frames are
 * copied from it into the slab; a ring whose slots are smaller than slot_size is rebuilt (frames waiting in
 * it are lost, as on any MTU change).
 */
int packet_set_receive_buffers(packet_socket *sock, uint8_t *slab, uint32_t slot_size, uint32_t slot_count,
                               packet_error *error);
/* Whether the socket receives through a ring (then looking for more frames costs no system call). */
int packet_uses_ring(const packet_socket *sock);
/*
 * One recvmmsg into the slab: returns the number of frames (0 when nothing is queued), their lengths
 * in `lengths` (0 for a truncated frame), or -1 with *error. Adds to counters.
 */
int packet_receive_batch(packet_socket *sock, uint32_t *lengths, double *counters, packet_error *error);
/* Reads and clears a pending socket error (SO_ERROR); returns it (0 if none) or -1 with *error. */
int packet_take_socket_error(packet_socket *sock, packet_error *error);

/*
 * Sends frames[0..count) with sendmmsg until all are handled. Returns how many were consumed in order
 * (sent, or skipped after a per-frame error counted in SEND_ERRORS); the rest were refused with
 * EAGAIN/ENOBUFS and are counted in SEND_BLOCKED. Never fails for per-frame conditions.
 */
uint32_t packet_send_batch(packet_socket *sock, const packet_frame *frames, uint32_t count, double *counters);

/* Reads flags and MTU into counters[FLAGS]/[MTU] and accumulates PACKET_STATISTICS drops. */
int packet_refresh(packet_socket *sock, double *counters, packet_error *error);

/* NIC facts by name inside `netns` (NULL = current namespace). */
int packet_interface_info(const char *ifname, const char *netns, packet_interface *out, packet_error *error);
/* All NICs of the namespace: *out is malloc'd (free with free()), *count entries. */
int packet_list_interfaces(const char *netns, packet_interface **out, size_t *count, packet_error *error);
int packet_set_mtu(const char *ifname, const char *netns, uint32_t mtu, packet_error *error);

#endif
