/* Internal declarations shared by the Linux packet files: the socket struct, receive ring, errors, namespaces. */
#ifndef AOEKIT_PACKET_LINUX_H
#define AOEKIT_PACKET_LINUX_H

#include "packet.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* A TPACKET_V2 receive ring mapped from the socket (packet_ring_linux.c). area == NULL: no ring. */
typedef struct packet_ring {
  uint8_t *area;
  size_t area_bytes;
  uint32_t block_size;
  uint32_t frame_size;
  uint32_t frames_per_block;
  uint32_t frame_count;
  uint32_t head; /* next frame to look at */
  int versioned; /* PACKET_VERSION already set (it cannot change once a ring existed) */
} packet_ring;

/* Maps a ring (set up before bind, so no frame queues outside it) of about ring_bytes whose frames hold slot_size bytes (keeps a big-enough existing ring). */
int ring_setup(packet_ring *ring, int fd, uint32_t slot_size, uint32_t ring_bytes, packet_error *error);
/* Unmaps and detaches the ring (fd < 0: unmap only). */
void ring_release(packet_ring *ring, int fd);
/* Copies up to slot_count ready frames into slab slots and hands their ring frames back to the kernel. */
uint32_t ring_take(packet_ring *ring, uint8_t *slab, uint32_t slot_size, uint32_t slot_count, uint32_t *lengths,
                   uint32_t *truncated, double *bytes);

#define PACKET_INITIAL_SEND_CAPACITY 64

struct packet_socket {
  int fd;
  int ifindex;
  struct mmsghdr *rx_messages;
  struct iovec *rx_vectors;
  uint32_t rx_capacity;
  uint32_t rx_count;
  struct mmsghdr *tx_messages;
  struct iovec *tx_vectors;
  uint32_t tx_capacity;
  uint64_t kernel_drops;
  packet_ring ring;      /* receive ring; ring.area == NULL means recvmmsg */
  uint8_t *rx_slab;      /* where ring frames are copied (the JS-owned slab) */
  uint32_t rx_slot_size;
};

/* Grows the send scratch to hold `count` messages. Returns 0, or -1 on ENOMEM. */
int packet_grow_send_storage(packet_socket *sock, uint32_t count);

/* Fills *error (no subject, no hint) and returns -1. */
int linux_fail(packet_error *error, int code, const char *syscall);
/* On failure (status < 0), names `subject` in the error unless it already names something. Returns status. */
int linux_about(packet_error *error, const char *subject, int status);
/* 0 for a 1..15 byte interface name, else -1 with EINVAL charged to `syscall`. */
int linux_check_name(const char *ifname, const char *syscall, packet_error *error);
/* IFF_UP / IFF_RUNNING as PACKET_IF_UP / PACKET_IF_CARRIER. */
uint32_t linux_portable_flags(short flags);

/* The calling thread's original namespace while it is inside another one. */
typedef struct netns_guard {
  int saved_fd;
} netns_guard;

/* Moves the calling thread into /run/netns/<name> (no-op for NULL or ""). */
int linux_netns_enter(const char *name, netns_guard *guard, packet_error *error);
/* Always returns to the saved namespace; keeps an earlier failure (status < 0) as the reported error. */
int linux_netns_leave(netns_guard *guard, int status, packet_error *error);

#endif
