/* Plain C vectored file I/O over one slab (no N-API types): spans slab[offsets[i] .. + lengths[i]) <-> a file range. */
#ifndef AOEKIT_FILEIO_H
#define AOEKIT_FILEIO_H

#include <stdint.h>

#include "packet.h"

/*
 * Reads (writing = 0) or writes (writing = 1) the file bytes at `position` into / from the spans
 * slab[offsets[i] .. offsets[i] + lengths[i]) for i < count, in order, as one file range.
 * The caller has bounds-checked every span. Loops over preadv/pwritev (at most IOV_MAX spans per call,
 * retrying EINTR and continuing after short transfers) until everything moved or a call returns 0
 * (end of file). Returns the bytes moved, or -1 with *error (code = errno, syscall = "preadv"/"pwritev").
 */
int64_t fileio_transfer(int fd, int writing, uint8_t *slab, const uint32_t *offsets, const uint32_t *lengths,
                        uint32_t count, uint64_t position, packet_error *error);

#endif
