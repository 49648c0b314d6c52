/* Linux NIC facts and control by name, optionally inside a network namespace: info, list, set MTU. */
#define _GNU_SOURCE
#include "packet_linux.h"

#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int describe(int fd, const char *ifname, packet_interface *out, packet_error *error) {
  struct ifreq request;
  memset(out, 0, sizeof *out);
  memset(&request, 0, sizeof request);
  strncpy(out->name, ifname, PACKET_NAME_MAX - 1);
  strncpy(request.ifr_name, ifname, IFNAMSIZ - 1);
  if (ioctl(fd, SIOCGIFINDEX, &request) < 0) return linux_fail(error, errno, "ioctl(SIOCGIFINDEX)");
  out->ifindex = request.ifr_ifindex;
  if (ioctl(fd, SIOCGIFHWADDR, &request) < 0) return linux_fail(error, errno, "ioctl(SIOCGIFHWADDR)");
  memcpy(out->mac, request.ifr_hwaddr.sa_data, 6);
  if (ioctl(fd, SIOCGIFMTU, &request) < 0) return linux_fail(error, errno, "ioctl(SIOCGIFMTU)");
  out->mtu = (uint32_t)request.ifr_mtu;
  if (ioctl(fd, SIOCGIFFLAGS, &request) < 0) return linux_fail(error, errno, "ioctl(SIOCGIFFLAGS)");
  out->flags = linux_portable_flags(request.ifr_flags);
  return 0;
}

static int control_socket(packet_error *error) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) linux_fail(error, errno, "socket");
  return fd;
}

int packet_interface_info(const char *ifname, const char *netns, packet_interface *out, packet_error *error) {
  if (linux_check_name(ifname, "ioctl", error) < 0) return -1;
  netns_guard guard;
  int status = linux_netns_enter(netns, &guard, error);
  if (status == 0) {
    int fd = control_socket(error);
    status = fd < 0 ? -1 : describe(fd, ifname, out, error);
    if (fd >= 0) close(fd);
  }
  return linux_about(error, ifname, linux_netns_leave(&guard, status, error));
}

static int list_in_namespace(packet_interface **out, size_t *count, packet_error *error) {
  struct if_nameindex *names = if_nameindex();
  if (names == NULL) return linux_fail(error, errno, "if_nameindex");
  size_t total = 0;
  while (names[total].if_index != 0) total++;
  packet_interface *list = calloc(total ? total : 1, sizeof *list);
  int fd = list == NULL ? -1 : control_socket(error);
  if (list == NULL || fd < 0) {
    if (list == NULL) linux_fail(error, ENOMEM, "malloc");
    free(list);
    if_freenameindex(names);
    return -1;
  }
  size_t filled = 0;
  for (size_t i = 0; i < total; i++) {
    packet_error ignored;
    /* An interface that vanished since if_nameindex is simply left out. */
    if (describe(fd, names[i].if_name, &list[filled], &ignored) == 0) filled++;
  }
  close(fd);
  if_freenameindex(names);
  *out = list;
  *count = filled;
  return 0;
}

int packet_list_interfaces(const char *netns, packet_interface **out, size_t *count, packet_error *error) {
  *out = NULL;
  *count = 0;
  netns_guard guard;
  int status = linux_netns_enter(netns, &guard, error);
  if (status == 0) status = list_in_namespace(out, count, error);
  status = linux_netns_leave(&guard, status, error);
  if (status < 0) {
    free(*out);
    *out = NULL;
    *count = 0;
  }
  return status;
}

int packet_set_mtu(const char *ifname, const char *netns, uint32_t mtu, packet_error *error) {
  if (linux_check_name(ifname, "ioctl(SIOCSIFMTU)", error) < 0) return -1;
  netns_guard guard;
  int status = linux_netns_enter(netns, &guard, error);
  if (status == 0) {
    int fd = control_socket(error);
    status = fd < 0 ? -1 : 0;
    if (fd >= 0) {
      struct ifreq request;
      memset(&request, 0, sizeof request);
      strncpy(request.ifr_name, ifname, IFNAMSIZ - 1);
      request.ifr_mtu = (int)mtu;
      if (ioctl(fd, SIOCSIFMTU, &request) < 0) {
        status = linux_fail(error, errno, "ioctl(SIOCSIFMTU)");
        if (error->code == EPERM) error->hint = "changing the MTU needs CAP_NET_ADMIN";
        if (error->code == EINVAL) error->hint = "MTU out of range for this device";
      }
      close(fd);
    }
  }
  return linux_about(error, ifname, linux_netns_leave(&guard, status, error));
}
