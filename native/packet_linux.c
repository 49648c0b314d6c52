/* Linux AF_PACKET sockets: BPF filter before bind, receive batches (ring or recvmmsg), flags/MTU/drop refresh. */
#define _GNU_SOURCE
#include "packet_linux.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

#define BPF_ACCEPT_BYTES 0x40000


/* ---- BPF: ethertype == 0x88A2, optionally the AoE response bit (byte 14 & 0x08) ---- */

static int attach_filter(int fd, int mode, packet_error *error) {
  struct sock_filter all[] = {
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_ETHERTYPE_AOE, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, BPF_ACCEPT_BYTES),
      BPF_STMT(BPF_RET | BPF_K, 0),
  };
  /* jset jumps to jt when (A & 0x08) != 0, i.e. for responses. */
  struct sock_filter flagged[] = {
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_ETHERTYPE_AOE, 0, 3),
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 14),
      BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x08, mode == PACKET_FILTER_RESPONSES ? 0 : 1,
               mode == PACKET_FILTER_RESPONSES ? 1 : 0),
      BPF_STMT(BPF_RET | BPF_K, BPF_ACCEPT_BYTES),
      BPF_STMT(BPF_RET | BPF_K, 0),
  };
  struct sock_fprog program;
  if (mode == PACKET_FILTER_ALL) {
    program.len = sizeof all / sizeof all[0];
    program.filter = all;
  } else {
    program.len = sizeof flagged / sizeof flagged[0];
    program.filter = flagged;
  }
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program) < 0) {
    return linux_fail(error, errno, "setsockopt(SO_ATTACH_FILTER)");
  }
  return 0;
}

/* Tries the privileged *FORCE option first (ignores rmem_max/wmem_max), then the plain one. */
static int size_buffer(int fd, int force_option, int option, int bytes, const char *syscall, packet_error *error) {
  if (bytes <= 0) return 0;
  if (setsockopt(fd, SOL_SOCKET, force_option, &bytes, sizeof bytes) == 0) return 0;
  if (setsockopt(fd, SOL_SOCKET, option, &bytes, sizeof bytes) == 0) return 0;
  return linux_fail(error, errno, syscall);
}

static int open_in_namespace(const packet_open_options *options, packet_socket *sock, packet_error *error) {
  unsigned ifindex = if_nametoindex(options->ifname);
  if (ifindex == 0) return linux_fail(error, errno ? errno : ENODEV, "if_nametoindex");
  /* Protocol 0: the socket receives nothing until bind, so no frame slips in before the filter. */
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    linux_fail(error, errno, "socket");
    if (error->code == EPERM) error->hint = "raw sockets need CAP_NET_RAW";
    return -1;
  }
  if (attach_filter(fd, options->filter_mode, error) < 0 ||
      size_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, options->receive_buffer_bytes, "setsockopt(SO_RCVBUF)", error) < 0 ||
      size_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, options->send_buffer_bytes, "setsockopt(SO_SNDBUF)", error) < 0) {
    close(fd);
    return -1;
  }
  /* The ring before bind: frames bound for the socket never queue outside it (setting it later purges the queue). */
  if (options->ring_bytes > 0 && ring_setup(&sock->ring, fd, options->ring_slot_size, options->ring_bytes, error) < 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  /* Older kernels lack PACKET_IGNORE_OUTGOING; a socket bound to one EtherType sees no outgoing copies anyway. */
  (void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  struct sockaddr_ll address;
  memset(&address, 0, sizeof address);
  address.sll_family = AF_PACKET;
  address.sll_protocol = htons(PACKET_ETHERTYPE_AOE);
  address.sll_ifindex = (int)ifindex;
  if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0) {
    int code = errno;
    ring_release(&sock->ring, -1);
    close(fd);
    return linux_fail(error, code, "bind");
  }
  sock->fd = fd;
  sock->ifindex = (int)ifindex;
  return 0;
}

int packet_open(const packet_open_options *options, packet_socket **out, packet_error *error) {
  if (linux_check_name(options->ifname, "if_nametoindex", error) < 0) return -1;
  packet_socket *sock = calloc(1, sizeof *sock);
  if (sock == NULL) return linux_fail(error, ENOMEM, "malloc");
  sock->fd = -1;
  if (packet_grow_send_storage(sock, PACKET_INITIAL_SEND_CAPACITY) < 0) {
    free(sock);
    return linux_fail(error, ENOMEM, "malloc");
  }
  netns_guard guard;
  int status = linux_netns_enter(options->netns, &guard, error);
  if (status == 0) status = open_in_namespace(options, sock, error);
  status = linux_about(error, options->ifname, linux_netns_leave(&guard, status, error));
  if (status < 0) {
    if (sock->fd >= 0) close(sock->fd);
    sock->fd = -1;
    packet_close(sock);
    return -1;
  }
  *out = sock;
  return 0;
}

int packet_fd(const packet_socket *sock) { return sock->fd; }

int packet_ifindex(const packet_socket *sock) { return sock->ifindex; }

void packet_close(packet_socket *sock) {
  if (sock == NULL) return;
  ring_release(&sock->ring, -1);
  if (sock->fd >= 0) close(sock->fd);
  free(sock->rx_messages);
  free(sock->rx_vectors);
  free(sock->tx_messages);
  free(sock->tx_vectors);
  free(sock);
}

int packet_set_receive_buffers(packet_socket *sock, uint8_t *slab, uint32_t slot_size, uint32_t slot_count,
                               packet_error *error) {
  if (slot_count > sock->rx_capacity) {
    struct mmsghdr *messages = calloc(slot_count, sizeof *messages);
    struct iovec *vectors = calloc(slot_count, sizeof *vectors);
    if (messages == NULL || vectors == NULL) {
      free(messages);
      free(vectors);
      return linux_fail(error, ENOMEM, "malloc");
    }
    free(sock->rx_messages);
    free(sock->rx_vectors);
    sock->rx_messages = messages;
    sock->rx_vectors = vectors;
    sock->rx_capacity = slot_count;
  }
  for (uint32_t i = 0; i < slot_count; i++) {
    sock->rx_vectors[i].iov_base = slab + (size_t)i * slot_size;
    sock->rx_vectors[i].iov_len = slot_size;
    memset(&sock->rx_messages[i], 0, sizeof sock->rx_messages[i]);
    sock->rx_messages[i].msg_hdr.msg_iov = &sock->rx_vectors[i];
    sock->rx_messages[i].msg_hdr.msg_iovlen = 1;
  }
  sock->rx_count = slot_count;
  sock->rx_slab = slab;
  sock->rx_slot_size = slot_size;
  if (sock->ring.area == NULL) return 0;
  return ring_setup(&sock->ring, sock->fd, slot_size, (uint32_t)sock->ring.area_bytes, error);
}

int packet_uses_ring(const packet_socket *sock) { return sock->ring.area != NULL; }

static void count_received(double *counters, int received, uint32_t truncated, double bytes) {
  counters[PACKET_COUNTER_FRAMES_IN] += (double)(received - (int)truncated);
  counters[PACKET_COUNTER_BYTES_IN] += bytes;
  counters[PACKET_COUNTER_TRUNCATED] += truncated;
  if (received > 0) counters[PACKET_COUNTER_BATCHES_IN] += 1;
}

static int receive_queued(packet_socket *sock, uint32_t *lengths, double *counters, packet_error *error);

int packet_receive_batch(packet_socket *sock, uint32_t *lengths, double *counters, packet_error *error) {
  if (sock->rx_count == 0) return 0;
  if (sock->ring.area == NULL) return receive_queued(sock, lengths, counters, error);
  uint32_t truncated = 0;
  double bytes = 0;
  uint32_t taken = ring_take(&sock->ring, sock->rx_slab, sock->rx_slot_size, sock->rx_count, lengths, &truncated, &bytes);
  count_received(counters, (int)taken, truncated, bytes);
  return (int)taken;
}

static int receive_queued(packet_socket *sock, uint32_t *lengths, double *counters, packet_error *error) {
  int received;
  do {
    received = recvmmsg(sock->fd, sock->rx_messages, sock->rx_count, MSG_DONTWAIT, NULL);
  } while (received < 0 && errno == EINTR);
  if (received < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    counters[PACKET_COUNTER_RECEIVE_ERRORS] += 1;
    return linux_fail(error, errno, "recvmmsg");
  }
  double bytes = 0;
  uint32_t truncated = 0;
  for (int i = 0; i < received; i++) {
    const struct mmsghdr *message = &sock->rx_messages[i];
    if (message->msg_hdr.msg_flags & MSG_TRUNC) {
      lengths[i] = 0;
      truncated++;
    } else {
      lengths[i] = message->msg_len;
      bytes += message->msg_len;
    }
  }
  count_received(counters, received, truncated, bytes);
  return received;
}

int packet_take_socket_error(packet_socket *sock, packet_error *error) {
  int pending = 0;
  socklen_t length = sizeof pending;
  if (getsockopt(sock->fd, SOL_SOCKET, SO_ERROR, &pending, &length) < 0) {
    return linux_fail(error, errno, "getsockopt(SO_ERROR)");
  }
  return pending;
}

int packet_refresh(packet_socket *sock, double *counters, packet_error *error) {
  /* Ioctls on the packet socket run in the socket's own namespace, so no setns is needed here. */
  struct ifreq request;
  memset(&request, 0, sizeof request);
  request.ifr_ifindex = sock->ifindex;
  if (ioctl(sock->fd, SIOCGIFNAME, &request) < 0) return linux_fail(error, errno, "ioctl(SIOCGIFNAME)");
  if (ioctl(sock->fd, SIOCGIFFLAGS, &request) < 0) return linux_fail(error, errno, "ioctl(SIOCGIFFLAGS)");
  uint32_t flags = linux_portable_flags(request.ifr_flags);
  if (ioctl(sock->fd, SIOCGIFMTU, &request) < 0) return linux_fail(error, errno, "ioctl(SIOCGIFMTU)");
  struct tpacket_stats statistics;
  socklen_t length = sizeof statistics;
  if (getsockopt(sock->fd, SOL_PACKET, PACKET_STATISTICS, &statistics, &length) < 0) {
    return linux_fail(error, errno, "getsockopt(PACKET_STATISTICS)");
  }
  sock->kernel_drops += statistics.tp_drops; /* the kernel resets these on every read */
  counters[PACKET_COUNTER_FLAGS] = flags;
  counters[PACKET_COUNTER_MTU] = (double)request.ifr_mtu;
  counters[PACKET_COUNTER_KERNEL_DROPS] = (double)sock->kernel_drops;
  return 0;
}

