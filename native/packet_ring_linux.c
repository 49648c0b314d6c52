/* Linux TPACKET_V2 receive ring: set up, copy ready frames into the caller's slab, hand slots back, tear down. */
#define _GNU_SOURCE
#include "packet_linux.h"

#include <errno.h>
#include <linux/if_packet.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

/* Room in front of the frame in each ring slot: tpacket2_hdr + sockaddr_ll + alignment (macoff is about 66). */
#define RING_FRAME_HEADROOM 96
#define RING_BLOCK_BYTES (64u * 1024u)

static uint32_t align_up(uint32_t value, uint32_t alignment) { return (value + alignment - 1) / alignment * alignment; }

void ring_release(packet_ring *ring, int fd) {
  if (ring->area != NULL) munmap(ring->area, ring->area_bytes);
  if (ring->area != NULL && fd >= 0) {
    struct tpacket_req request;
    memset(&request, 0, sizeof request); /* a zero-sized ring detaches it; frames then queue normally again */
    (void)setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &request, sizeof request);
  }
  memset(ring, 0, sizeof *ring);
}

int ring_setup(packet_ring *ring, int fd, uint32_t slot_size, uint32_t ring_bytes, packet_error *error) {
  uint32_t frame_size = align_up(slot_size + RING_FRAME_HEADROOM, TPACKET_ALIGNMENT);
  if (ring->area != NULL && ring->frame_size >= frame_size) return 0;
  ring_release(ring, fd);
  if (!ring->versioned) {
    int version = TPACKET_V2;
    if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof version) < 0) {
      return linux_fail(error, errno, "setsockopt(PACKET_VERSION)");
    }
    ring->versioned = 1;
  }
  long page = sysconf(_SC_PAGESIZE);
  uint32_t block_size = frame_size <= RING_BLOCK_BYTES ? RING_BLOCK_BYTES : align_up(frame_size, (uint32_t)page);
  uint32_t frames_per_block = block_size / frame_size;
  uint32_t block_count = ring_bytes / block_size;
  if (block_count < 2) block_count = 2;
  struct tpacket_req request = {block_size, block_count, frame_size, frames_per_block * block_count};
  if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &request, sizeof request) < 0) {
    return linux_fail(error, errno, "setsockopt(PACKET_RX_RING)");
  }
  size_t area_bytes = (size_t)block_size * block_count;
  void *area = mmap(NULL, area_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (area == MAP_FAILED) {
    int code = errno;
    memset(&request, 0, sizeof request);
    (void)setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &request, sizeof request);
    return linux_fail(error, code, "mmap(PACKET_RX_RING)");
  }
  ring->area = area;
  ring->area_bytes = area_bytes;
  ring->block_size = block_size;
  ring->frame_size = frame_size;
  ring->frames_per_block = frames_per_block;
  ring->frame_count = frames_per_block * block_count;
  ring->head = 0;
  return 0;
}

static struct tpacket2_hdr *ring_frame(const packet_ring *ring, uint32_t index) {
  uint32_t block = index / ring->frames_per_block;
  uint32_t within = index % ring->frames_per_block;
  return (struct tpacket2_hdr *)(ring->area + (size_t)block * ring->block_size + (size_t)within * ring->frame_size);
}

uint32_t ring_take(packet_ring *ring, uint8_t *slab, uint32_t slot_size, uint32_t slot_count, uint32_t *lengths,
                   uint32_t *truncated, double *bytes) {
  uint32_t taken = 0;
  while (taken < slot_count) {
    struct tpacket2_hdr *header = ring_frame(ring, ring->head);
    uint32_t status = __atomic_load_n(&header->tp_status, __ATOMIC_ACQUIRE);
    if ((status & TP_STATUS_USER) == 0) break;
    uint32_t length = header->tp_snaplen;
    if (length < header->tp_len || length > slot_size) {
      lengths[taken] = 0; /* longer than a slot: delivered empty and counted, as recvmmsg's MSG_TRUNC */
      *truncated += 1;
    } else {
      memcpy(slab + (size_t)taken * slot_size, (const uint8_t *)header + header->tp_mac, length);
      lengths[taken] = length;
      *bytes += length;
    }
    __atomic_store_n(&header->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    ring->head = ring->head + 1 == ring->frame_count ? 0 : ring->head + 1;
    taken++;
  }
  return taken;
}
