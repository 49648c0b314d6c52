/* Non-Linux platforms: raw AoE sockets are not implemented, every call fails with ENOSYS. */
#include "packet.h"

#include <errno.h>
#include <stdlib.h>

struct packet_socket {
  int unused;
};

static int unsupported(packet_error *error, const char *syscall) {
  error->code = ENOSYS;
  error->syscall = syscall;
  error->hint = "AF_PACKET sockets are only available on Linux";
  error->subject = NULL;
  return -1;
}

int packet_open(const packet_open_options *options, packet_socket **out, packet_error *error) {
  (void)options;
  *out = NULL;
  return unsupported(error, "socket");
}

int packet_fd(const packet_socket *sock) {
  (void)sock;
  return -1;
}

int packet_ifindex(const packet_socket *sock) {
  (void)sock;
  return 0;
}

void packet_close(packet_socket *sock) { free(sock); }

int packet_set_receive_buffers(packet_socket *sock, uint8_t *slab, uint32_t slot_size, uint32_t slot_count,
                               packet_error *error) {
  (void)sock;
  (void)slab;
  (void)slot_size;
  (void)slot_count;
  return unsupported(error, "recvmmsg");
}

int packet_uses_ring(const packet_socket *sock) {
  (void)sock;
  return 0;
}

int packet_receive_batch(packet_socket *sock, uint32_t *lengths, double *counters, packet_error *error) {
  (void)sock;
  (void)lengths;
  (void)counters;
  return unsupported(error, "recvmmsg");
}

int packet_take_socket_error(packet_socket *sock, packet_error *error) {
  (void)sock;
  return unsupported(error, "getsockopt");
}

uint32_t packet_send_batch(packet_socket *sock, const packet_frame *frames, uint32_t count, double *counters) {
  (void)sock;
  (void)frames;
  counters[PACKET_COUNTER_SEND_ERRORS] += count;
  return count;
}

int packet_refresh(packet_socket *sock, double *counters, packet_error *error) {
  (void)sock;
  (void)counters;
  return unsupported(error, "ioctl");
}

int packet_interface_info(const char *ifname, const char *netns, packet_interface *out, packet_error *error) {
  (void)ifname;
  (void)netns;
  (void)out;
  return unsupported(error, "ioctl");
}

int packet_list_interfaces(const char *netns, packet_interface **out, size_t *count, packet_error *error) {
  (void)netns;
  *out = NULL;
  *count = 0;
  return unsupported(error, "if_nameindex");
}

int packet_set_mtu(const char *ifname, const char *netns, uint32_t mtu, packet_error *error) {
  (void)ifname;
  (void)netns;
  (void)mtu;
  return unsupported(error, "ioctl");
}
