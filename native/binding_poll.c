/* N-API glue for one socket's life: uv_poll receive loop, batch callbacks, close, exit cleanup. */
#include <stdlib.h>

#include "binding.h"

/* Batches delivered per poll wakeup before yielding to the event loop (fairness cap). */
#define MAX_BATCHES_PER_WAKEUP 16

static void delete_ref(napi_env env, napi_ref *ref) {
  if (*ref == NULL) return;
  napi_delete_reference(env, *ref);
  *ref = NULL;
}

/* Calls a JS function held in `ref` inside its own handle scope, as an async callback. */
static void call_back(link_handle *handle, napi_ref ref, size_t argc, napi_value *argv) {
  napi_env env = handle->env;
  napi_value function;
  napi_value receiver;
  if (ref == NULL || napi_get_reference_value(env, ref, &function) != napi_ok || function == NULL) return;
  if (napi_get_global(env, &receiver) != napi_ok) return; /* make_callback needs an object */
  if (napi_make_callback(env, handle->async_context, receiver, function, argc, argv, NULL) != napi_ok) {
    binding_rethrow_pending(env);
  }
}

static void report_error(link_handle *handle, const packet_error *error) {
  napi_handle_scope scope;
  if (handle->addon->tearing_down || napi_open_handle_scope(handle->env, &scope) != napi_ok) return;
  napi_value value = binding_make_error(handle->env, error);
  if (value != NULL) call_back(handle, handle->on_error_ref, 1, &value);
  napi_close_handle_scope(handle->env, scope);
}

/*
 * One wakeup's batches run inside a single callback scope: JS is entered with napi_call_function per batch,
 * and process.nextTick / promise jobs run once, when the scope closes (as napi_make_callback would per call).
 */
typedef struct wakeup_scope {
  napi_handle_scope handles;
  napi_callback_scope callbacks;
  napi_value receiver;
  napi_value on_batch;
  int open;
} wakeup_scope;

static int open_wakeup(link_handle *handle, wakeup_scope *wakeup) {
  napi_env env = handle->env;
  wakeup->open = 0;
  if (napi_open_handle_scope(env, &wakeup->handles) != napi_ok) return -1;
  if (handle->on_batch_ref == NULL || napi_get_reference_value(env, handle->on_batch_ref, &wakeup->on_batch) != napi_ok ||
      wakeup->on_batch == NULL || napi_get_global(env, &wakeup->receiver) != napi_ok ||
      napi_open_callback_scope(env, wakeup->receiver, handle->async_context, &wakeup->callbacks) != napi_ok) {
    napi_close_handle_scope(env, wakeup->handles);
    return -1;
  }
  wakeup->open = 1;
  return 0;
}

static void close_wakeup(link_handle *handle, wakeup_scope *wakeup) {
  if (!wakeup->open) return;
  napi_close_callback_scope(handle->env, wakeup->callbacks);
  napi_close_handle_scope(handle->env, wakeup->handles);
  wakeup->open = 0;
}

static void deliver(link_handle *handle, wakeup_scope *wakeup, int count) {
  napi_value argument;
  if (napi_create_uint32(handle->env, (uint32_t)count, &argument) != napi_ok) return;
  if (napi_call_function(handle->env, wakeup->receiver, wakeup->on_batch, 1, &argument, NULL) != napi_ok) {
    binding_rethrow_pending(handle->env);
  }
}

/* libuv stops the poll on POLLERR (e.g. ENETDOWN when the NIC goes down): report it and resume. */
static void on_poll_error(link_handle *handle, int status) {
  packet_error error = {0, "recvmmsg", NULL, NULL};
  int pending = packet_take_socket_error(handle->sock, &error);
  if (pending > 0) {
    handle->counters[PACKET_COUNTER_RECEIVE_ERRORS] += 1;
    error.code = pending;
    report_error(handle, &error);
    if (handle->state == HANDLE_OPEN && uv_is_active((uv_handle_t *)&handle->poll) == 0) {
      handle_start_receiving(handle, &error);
    }
    return;
  }
  handle->receiving = 0; /* no socket error to clear: receiving stays stopped, JS gets an 'error' */
  if (pending == 0) {
    error.code = -status;
    error.syscall = "uv_poll";
    error.hint = "receiving stopped";
  }
  report_error(handle, &error);
}

static void on_poll(uv_poll_t *poll, int status, int events) {
  link_handle *handle = poll->data;
  if (handle->state != HANDLE_OPEN) return;
  if (status < 0) {
    on_poll_error(handle, status);
    return;
  }
  if ((events & UV_READABLE) == 0) return;
  wakeup_scope wakeup = {0};
  for (int round = 0; round < MAX_BATCHES_PER_WAKEUP; round++) {
    if (handle->state != HANDLE_OPEN || !handle->receiving || handle->addon->tearing_down) break;
    uint32_t slots = handle->slot_count;
    packet_error error;
    int count = packet_receive_batch(handle->sock, handle->lengths, handle->counters, &error);
    if (count < 0) {
      close_wakeup(handle, &wakeup);
      report_error(handle, &error);
      break;
    }
    if (count == 0) break;
    if (!wakeup.open && open_wakeup(handle, &wakeup) < 0) break;
    deliver(handle, &wakeup, count);
    /*
     * recvmmsg: a short batch means the queue is drained (asking again would cost an empty system call).
     * Ring: looking again is one memory read, and frames that arrived while JS ran are taken without a wakeup.
     */
    if ((uint32_t)count < slots && (handle->sock == NULL || !packet_uses_ring(handle->sock))) break;
  }
  close_wakeup(handle, &wakeup);
}

int handle_register(addon_state *addon, napi_env env, link_handle *handle, packet_error *error) {
  handle->addon = addon;
  handle->env = env;
  int status = uv_poll_init(addon->loop, &handle->poll, packet_fd(handle->sock));
  if (status < 0) {
    error->code = -status;
    error->syscall = "uv_poll_init";
    error->hint = NULL;
    error->subject = NULL;
    return -1;
  }
  handle->poll.data = handle;
  handle->next = addon->handles;
  handle->previous = NULL;
  if (addon->handles != NULL) addon->handles->previous = handle;
  addon->handles = handle;
  return 0;
}

int handle_start_receiving(link_handle *handle, packet_error *error) {
  int status = uv_poll_start(&handle->poll, UV_READABLE, on_poll);
  if (status < 0) {
    error->code = -status;
    error->syscall = "uv_poll_start";
    error->hint = NULL;
    error->subject = NULL;
    return -1;
  }
  handle->receiving = 1;
  return 0;
}

static void unlink_handle(link_handle *handle) {
  addon_state *addon = handle->addon;
  if (handle->previous != NULL) handle->previous->next = handle->next;
  else if (addon->handles == handle) addon->handles = handle->next;
  if (handle->next != NULL) handle->next->previous = handle->previous;
  handle->next = handle->previous = NULL;
}

static void on_closed(uv_handle_t *poll) {
  link_handle *handle = poll->data;
  addon_state *addon = handle->addon;
  napi_env env = handle->env;
  packet_close(handle->sock);
  handle->sock = NULL;
  handle->state = HANDLE_CLOSED;
  unlink_handle(handle);
  if (!addon->tearing_down && handle->on_close_ref != NULL) {
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) == napi_ok) {
      call_back(handle, handle->on_close_ref, 0, NULL);
      napi_close_handle_scope(env, scope);
    }
  }
  delete_ref(env, &handle->on_close_ref);
  delete_ref(env, &handle->on_batch_ref);
  delete_ref(env, &handle->on_error_ref);
  delete_ref(env, &handle->slab_ref);
  delete_ref(env, &handle->lengths_ref);
  delete_ref(env, &handle->counters_ref);
  if (handle->async_context != NULL) napi_async_destroy(env, handle->async_context);
  handle->async_context = NULL;
  free(handle->frames);
  handle->frames = NULL;
  handle->frame_capacity = 0;
  if (addon->tearing_down && addon->handles == NULL && addon->cleanup_hook != NULL) {
    napi_async_cleanup_hook_handle hook = addon->cleanup_hook;
    addon->cleanup_hook = NULL;
    napi_remove_async_cleanup_hook(hook);
  }
  if (handle->finalized) free(handle);
}

/* Stops receiving and closes the socket once libuv has released the poll handle. Idempotent. */
int handle_begin_close(link_handle *handle) {
  if (handle->state != HANDLE_OPEN) return 0;
  handle->state = HANDLE_CLOSING;
  handle->receiving = 0;
  uv_poll_stop(&handle->poll);
  uv_close((uv_handle_t *)&handle->poll, on_closed);
  return 1;
}

void handle_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  link_handle *handle = data;
  handle->finalized = 1;
  if (handle->state == HANDLE_OPEN) handle_begin_close(handle);
  else if (handle->state == HANDLE_CLOSED) free(handle);
}

/* Environment teardown (process exit, worker exit): close every socket, finish when all are closed. */
void addon_teardown(napi_async_cleanup_hook_handle hook, void *data) {
  addon_state *addon = data;
  addon->tearing_down = 1;
  for (link_handle *handle = addon->handles; handle != NULL; handle = handle->next) handle_begin_close(handle);
  if (addon->handles == NULL && addon->cleanup_hook != NULL) {
    addon->cleanup_hook = NULL;
    napi_remove_async_cleanup_hook(hook);
  }
}
