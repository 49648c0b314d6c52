/* Linux vectored file I/O over one slab: preadv/pwritev with 64-bit offsets, looping on EINTR and short transfers. */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64

#include "fileio.h"

#include <errno.h>
#include <limits.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifndef IOV_MAX
#define IOV_MAX 1024
#endif

int64_t fileio_transfer(int fd, int writing, uint8_t *slab, const uint32_t *offsets, const uint32_t *lengths,
                        uint32_t count, uint64_t position, packet_error *error) {
  /* On the stack (16 KiB): no allocation per call, and safe when worker threads load the addon too. */
  struct iovec vectors[IOV_MAX];
  uint64_t total = 0;
  uint32_t index = 0; /* first span not yet fully moved */
  uint32_t skip = 0;  /* bytes of span `index` already moved */
  for (;;) {
    int used = 0;
    for (uint32_t i = index; i < count && used < IOV_MAX; i++) {
      uint32_t done = i == index ? skip : 0;
      if (lengths[i] == done) continue; /* empty spans never reach the kernel, so 0 always means end of file */
      vectors[used].iov_base = slab + offsets[i] + done;
      vectors[used].iov_len = lengths[i] - done;
      used++;
    }
    if (used == 0) return (int64_t)total;
    off_t offset = (off_t)(position + total);
    ssize_t moved = writing ? pwritev(fd, vectors, used, offset) : preadv(fd, vectors, used, offset);
    if (moved < 0) {
      if (errno == EINTR) continue;
      /* Bytes already moved are not reported: the caller fails the whole run with this error. */
      error->code = errno;
      error->syscall = writing ? "pwritev" : "preadv";
      error->hint = NULL;
      error->subject = NULL;
      return -1;
    }
    if (moved == 0) return (int64_t)total;
    total += (uint64_t)moved;
    uint64_t left = (uint64_t)moved;
    while (left > 0 && index < count) {
      uint32_t remaining = lengths[index] - skip;
      if (left >= remaining) {
        left -= remaining;
        index++;
        skip = 0;
      } else {
        skip += (uint32_t)left;
        left = 0;
      }
    }
  }
}
