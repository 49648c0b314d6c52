/* Shared declarations of the N-API glue: per-environment state, socket handles, error helpers. */
#ifndef AOEKIT_BINDING_H
#define AOEKIT_BINDING_H

#include <node_api.h>
#include <uv.h>

#include "packet.h"

enum handle_state { HANDLE_OPEN = 0, HANDLE_CLOSING = 1, HANDLE_CLOSED = 2 };

typedef struct addon_state addon_state;

/* One open packet socket as seen from JS (an external). JS owns slab, lengths and counters. */
typedef struct link_handle {
  addon_state *addon;
  napi_env env;
  packet_socket *sock;
  uv_poll_t poll;
  int state;
  int receiving;
  int finalized;
  double *counters;
  uint32_t *lengths;
  uint32_t slot_count;
  napi_ref counters_ref;
  napi_ref slab_ref;
  napi_ref lengths_ref;
  napi_ref on_batch_ref;
  napi_ref on_error_ref;
  napi_ref on_close_ref;
  napi_async_context async_context;
  packet_frame *frames; /* send scratch, grown only when a larger batch arrives */
  uint32_t frame_capacity;
  struct link_handle *next;
  struct link_handle *previous;
} link_handle;

struct addon_state {
  napi_env env;
  uv_loop_t *loop;
  link_handle *handles; /* every handle not yet CLOSED */
  napi_async_cleanup_hook_handle cleanup_hook;
  int tearing_down;
};

/* Builds an Error with code (errno name), syscall, errno (negative, as Node does) and a message. */
napi_value binding_make_error(napi_env env, const packet_error *error);
/* Throws binding_make_error(...) and returns NULL for the caller to return. */
napi_value binding_throw(napi_env env, const packet_error *error);
/* Turns a pending JS exception raised by a callback into an 'uncaughtException'. */
void binding_rethrow_pending(napi_env env);

/* binding_poll.c: handle lifecycle and receive path. */
int handle_register(addon_state *addon, napi_env env, link_handle *handle, packet_error *error);
int handle_start_receiving(link_handle *handle, packet_error *error);
int handle_begin_close(link_handle *handle);
void handle_finalize(napi_env env, void *data, void *hint);
void addon_teardown(napi_async_cleanup_hook_handle hook, void *data);

#endif
