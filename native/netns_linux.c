/* Linux helpers: error filling, name checks, and entering/leaving a named network namespace per call. */
#define _GNU_SOURCE
#include "packet_linux.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int linux_fail(packet_error *error, int code, const char *syscall) {
  error->code = code;
  error->syscall = syscall;
  error->hint = NULL;
  error->subject = NULL;
  return -1;
}

/* Names the interface in an error that does not already name something (e.g. the namespace). */
int linux_about(packet_error *error, const char *subject, int status) {
  if (status < 0 && error->subject == NULL) error->subject = subject;
  return status;
}

int linux_check_name(const char *ifname, const char *syscall, packet_error *error) {
  if (ifname != NULL && ifname[0] != '\0' && strlen(ifname) < PACKET_NAME_MAX) return 0;
  linux_fail(error, EINVAL, syscall);
  error->hint = "interface names are 1 to 15 bytes";
  error->subject = ifname;
  return -1;
}

/* ---- network namespaces: enter for the duration of one call, always leave ---- */

int linux_netns_enter(const char *name, netns_guard *guard, packet_error *error) {
  guard->saved_fd = -1;
  if (name == NULL || name[0] == '\0') return 0;
  if (strchr(name, '/') != NULL || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strlen(name) > 200) {
    linux_fail(error, EINVAL, "open");
    error->hint = "invalid network namespace name";
    error->subject = name;
    return -1;
  }
  char path[256];
  snprintf(path, sizeof path, "/run/netns/%s", name);
  int target_fd = open(path, O_RDONLY | O_CLOEXEC);
  if (target_fd < 0) {
    linux_fail(error, errno, "open");
    error->hint = "network namespace not found under /run/netns";
    error->subject = name;
    return -1;
  }
  int saved_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (saved_fd < 0) {
    int code = errno;
    close(target_fd);
    return linux_fail(error, code, "open");
  }
  if (setns(target_fd, CLONE_NEWNET) < 0) {
    int code = errno;
    close(target_fd);
    close(saved_fd);
    linux_fail(error, code, "setns");
    if (code == EPERM) error->hint = "entering a network namespace needs CAP_SYS_ADMIN";
    error->subject = name;
    return -1;
  }
  close(target_fd);
  guard->saved_fd = saved_fd;
  return 0;
}

/* Returns to the saved namespace. Keeps an earlier error in *error (status < 0) if there was one. */
int linux_netns_leave(netns_guard *guard, int status, packet_error *error) {
  if (guard->saved_fd < 0) return status;
  int rc = setns(guard->saved_fd, CLONE_NEWNET);
  int code = errno;
  close(guard->saved_fd);
  guard->saved_fd = -1;
  if (rc < 0 && status == 0) {
    linux_fail(error, code, "setns");
    error->hint = "could not return to the original network namespace";
    return -1;
  }
  return status;
}

uint32_t linux_portable_flags(short flags) {
  return ((flags & IFF_UP) ? PACKET_IF_UP : 0u) | ((flags & IFF_RUNNING) ? PACKET_IF_CARRIER : 0u);
}
