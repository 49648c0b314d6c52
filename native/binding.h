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

#define NAME_BUFFER 256

/* Unpacks exactly `count` arguments into argv, or throws ERR_MISSING_ARGS. */
#define ARGUMENTS(count)                                                                            \
  size_t argc = count;                                                                              \
  napi_value argv[count];                                                                           \
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < count)              \
    return binding_throw_argument(env, "ERR_MISSING_ARGS", "missing arguments");

/* Throws a TypeError (or RangeError for ERR_OUT_OF_RANGE) with a stable code unless one is pending. */
napi_value binding_throw_argument(napi_env env, const char *code, const char *message);
/* String argument into buffer; null/undefined gives "". Returns 0, or -1 after throwing. */
int binding_get_name(napi_env env, napi_value value, char *buffer, size_t size);
int binding_get_uint32(napi_env env, napi_value value, uint32_t *out);
/* A typed array of type `expected`: its data and element count. Returns 0, or -1 after throwing. */
int binding_get_bytes(napi_env env, napi_value value, napi_typedarray_type expected, void **data, size_t *length);
/* The link_handle behind a packet socket external, or NULL after throwing. */
link_handle *binding_get_handle(napi_env env, napi_value value);

/* binding_send.c */
napi_value packet_send_js(napi_env env, napi_callback_info info);
napi_value packet_send_slab_js(napi_env env, napi_callback_info info);

/* binding_file.c */
napi_value file_read_slab_js(napi_env env, napi_callback_info info);
napi_value file_write_slab_js(napi_env env, napi_callback_info info);

/* binding_nic.c */
napi_value packet_interface_info_js(napi_env env, napi_callback_info info);
napi_value packet_list_interfaces_js(napi_env env, napi_callback_info info);
napi_value packet_set_mtu_js(napi_env env, napi_callback_info info);

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
