/* Non-Linux platforms: slab file I/O is not implemented, every call fails with ENOSYS (JS falls back to fs.readvSync). */
#include "fileio.h"

#include <errno.h>

int64_t fileio_transfer(int fd, int writing, uint8_t *slab, const uint32_t *offsets, const uint32_t *lengths,
                        uint32_t count, uint64_t position, packet_error *error) {
  (void)fd;
  (void)slab;
  (void)offsets;
  (void)lengths;
  (void)count;
  (void)position;
  error->code = ENOSYS;
  error->syscall = writing ? "pwritev" : "preadv";
  error->hint = "slab file I/O is only available on Linux";
  error->subject = NULL;
  return -1;
}
