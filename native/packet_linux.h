/* Internal helpers shared by the Linux packet files: errors, name checks, network namespace switching. */
#ifndef AOEKIT_PACKET_LINUX_H
#define AOEKIT_PACKET_LINUX_H

#include "packet.h"

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
