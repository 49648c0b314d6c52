/* Linux AF_PACKET send path: sendmmsg batches, scratch message storage, refusal and per-frame error accounting. */
#define _GNU_SOURCE
#include "packet_linux.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int packet_grow_send_storage(packet_socket *sock, uint32_t count) {
  if (count <= sock->tx_capacity) return 0;
  uint32_t capacity = sock->tx_capacity ? sock->tx_capacity : PACKET_INITIAL_SEND_CAPACITY;
  while (capacity < count) capacity *= 2;
  struct mmsghdr *messages = calloc(capacity, sizeof *messages);
  struct iovec *vectors = calloc(capacity, sizeof *vectors);
  if (messages == NULL || vectors == NULL) {
    free(messages);
    free(vectors);
    return -1;
  }
  free(sock->tx_messages);
  free(sock->tx_vectors);
  sock->tx_messages = messages;
  sock->tx_vectors = vectors;
  sock->tx_capacity = capacity;
  return 0;
}

uint32_t packet_send_batch(packet_socket *sock, const packet_frame *frames, uint32_t count, double *counters) {
  if (count > sock->tx_capacity) (void)packet_grow_send_storage(sock, count); /* on ENOMEM: send in chunks */
  uint32_t done = 0;
  double bytes = 0;
  uint32_t sent = 0;
  while (done < count) {
    uint32_t chunk = count - done < sock->tx_capacity ? count - done : sock->tx_capacity;
    for (uint32_t i = 0; i < chunk; i++) {
      sock->tx_vectors[i].iov_base = (void *)frames[done + i].data;
      sock->tx_vectors[i].iov_len = frames[done + i].length;
      memset(&sock->tx_messages[i].msg_hdr, 0, sizeof sock->tx_messages[i].msg_hdr);
      sock->tx_messages[i].msg_hdr.msg_iov = &sock->tx_vectors[i];
      sock->tx_messages[i].msg_hdr.msg_iovlen = 1;
    }
    uint32_t position = 0;
    uint32_t retried_position = UINT32_MAX;
    while (position < chunk) {
      int result = sendmmsg(sock->fd, sock->tx_messages + position, chunk - position, MSG_DONTWAIT);
      if (result > 0) {
        for (int i = 0; i < result; i++) bytes += sock->tx_messages[position + (uint32_t)i].msg_len;
        sent += (uint32_t)result;
        position += (uint32_t)result;
        continue;
      }
      int code = result < 0 ? errno : EAGAIN;
      if (code == EINTR) continue;
      /* A NIC that went down and up leaves a stale ENETDOWN in sk_err: the first send only reports it. */
      if (code == ENETDOWN && retried_position != position) {
        retried_position = position;
        continue;
      }
      if (code == EAGAIN || code == EWOULDBLOCK || code == ENOBUFS) {
        counters[PACKET_COUNTER_SEND_BLOCKED] += (double)(count - done - position);
        counters[PACKET_COUNTER_FRAMES_OUT] += sent;
        counters[PACKET_COUNTER_BYTES_OUT] += bytes;
        return done + position;
      }
      counters[PACKET_COUNTER_SEND_ERRORS] += 1; /* ENETDOWN, ENXIO, EMSGSIZE...: skip this frame */
      position++;
    }
    done += chunk;
  }
  counters[PACKET_COUNTER_FRAMES_OUT] += sent;
  counters[PACKET_COUNTER_BYTES_OUT] += bytes;
  return done;
}

