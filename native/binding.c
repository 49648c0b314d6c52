/* N-API glue only: argument unpacking, errors with code + syscall, the flat list of packet* functions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binding.h"

napi_value binding_make_error(napi_env env, const packet_error *error) {
  char name[64];
  char text[128];
  char message[640];
  uv_err_name_r(-error->code, name, sizeof name);
  uv_strerror_r(-error->code, text, sizeof text);
  snprintf(message, sizeof message, "%s: %s, %s%s%.200s%s%s%.200s%s", name, text, error->syscall ? error->syscall : "?",
           error->subject ? " '" : "", error->subject ? error->subject : "", error->subject ? "'" : "",
           error->hint ? " (" : "", error->hint ? error->hint : "", error->hint ? ")" : "");
  napi_value code_value, message_value, syscall_value, errno_value, result;
  if (napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code_value) != napi_ok ||
      napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &message_value) != napi_ok ||
      napi_create_error(env, code_value, message_value, &result) != napi_ok ||
      napi_create_string_utf8(env, error->syscall ? error->syscall : "?", NAPI_AUTO_LENGTH, &syscall_value) != napi_ok ||
      napi_create_int32(env, -error->code, &errno_value) != napi_ok ||
      napi_set_named_property(env, result, "syscall", syscall_value) != napi_ok ||
      napi_set_named_property(env, result, "errno", errno_value) != napi_ok) {
    return NULL;
  }
  return result;
}

napi_value binding_throw(napi_env env, const packet_error *error) {
  napi_value value = binding_make_error(env, error);
  if (value != NULL) napi_throw(env, value);
  return NULL;
}

void binding_rethrow_pending(napi_env env) {
  bool pending = false;
  napi_value exception;
  if (napi_is_exception_pending(env, &pending) != napi_ok || !pending) return;
  if (napi_get_and_clear_last_exception(env, &exception) == napi_ok) napi_fatal_exception(env, exception);
}

/* Throws a TypeError/RangeError with a stable code unless an exception is already pending. */
napi_value binding_throw_argument(napi_env env, const char *code, const char *message) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) {
    if (strcmp(code, "ERR_OUT_OF_RANGE") == 0) napi_throw_range_error(env, code, message);
    else napi_throw_type_error(env, code, message);
  }
  return NULL;
}

/* Reads a string argument; null/undefined gives "" (meaning: none). Returns 0 or -1 after throwing. */
int binding_get_name(napi_env env, napi_value value, char *buffer, size_t size) {
  napi_valuetype type;
  size_t length = 0;
  buffer[0] = '\0';
  if (napi_typeof(env, value, &type) != napi_ok) return -1;
  if (type == napi_null || type == napi_undefined) return 0;
  if (type != napi_string || napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok || length >= size ||
      napi_get_value_string_utf8(env, value, buffer, size, &length) != napi_ok) {
    binding_throw_argument(env, "ERR_INVALID_ARG_TYPE", "expected a short string (interface or namespace name)");
    return -1;
  }
  return 0;
}

int binding_get_uint32(napi_env env, napi_value value, uint32_t *out) {
  if (napi_get_value_uint32(env, value, out) == napi_ok) return 0;
  binding_throw_argument(env, "ERR_INVALID_ARG_TYPE", "expected a number");
  return -1;
}

int binding_get_bytes(napi_env env, napi_value value, napi_typedarray_type expected, void **data, size_t *length) {
  bool is_typed = false;
  napi_typedarray_type type;
  if (napi_is_typedarray(env, value, &is_typed) == napi_ok && is_typed &&
      napi_get_typedarray_info(env, value, &type, length, data, NULL, NULL) == napi_ok && type == expected) {
    return 0;
  }
  binding_throw_argument(env, "ERR_INVALID_ARG_TYPE", "expected a typed array of the documented type");
  return -1;
}

link_handle *binding_get_handle(napi_env env, napi_value value) {
  void *data = NULL;
  if (napi_get_value_external(env, value, &data) != napi_ok || data == NULL) {
    binding_throw_argument(env, "ERR_INVALID_ARG_TYPE", "expected a packet socket handle");
    return NULL;
  }
  return data;
}

/*
 * packetOpen(ifname, netns|null, filterMode, receiveBufferBytes, sendBufferBytes, counters: Float64Array,
 *            ringBytes, ringSlotSize): ringBytes > 0 receives through a TPACKET_V2 ring, 0 with recvmmsg.
 */
static napi_value packet_open_js(napi_env env, napi_callback_info info) {
  ARGUMENTS(8);
  addon_state *addon = NULL;
  char ifname[NAME_BUFFER], netns[NAME_BUFFER];
  uint32_t filter_mode, receive_bytes, send_bytes, ring_bytes, ring_slot_size;
  void *counters;
  size_t counter_count;
  if (napi_get_instance_data(env, (void **)&addon) != napi_ok || addon == NULL) return NULL;
  if (binding_get_name(env, argv[0], ifname, sizeof ifname) < 0 || binding_get_name(env, argv[1], netns, sizeof netns) < 0 ||
      binding_get_uint32(env, argv[2], &filter_mode) < 0 || binding_get_uint32(env, argv[3], &receive_bytes) < 0 ||
      binding_get_uint32(env, argv[4], &send_bytes) < 0 ||
      binding_get_bytes(env, argv[5], napi_float64_array, &counters, &counter_count) < 0 ||
      binding_get_uint32(env, argv[6], &ring_bytes) < 0 || binding_get_uint32(env, argv[7], &ring_slot_size) < 0) {
    return NULL;
  }
  if (counter_count < PACKET_COUNTER_COUNT || filter_mode > PACKET_FILTER_RESPONSES ||
      receive_bytes > 0x7fffffff || send_bytes > 0x7fffffff || ring_bytes > (1u << 30) ||
      (ring_bytes > 0 && (ring_slot_size < 64 || ring_slot_size > (1u << 20)))) {
    return binding_throw_argument(env, "ERR_OUT_OF_RANGE", "bad counters length, filter mode, buffer, ring or ring slot size");
  }
  packet_open_options options = {ifname, netns[0] ? netns : NULL, (int)filter_mode, (int)receive_bytes, (int)send_bytes,
                                 ring_bytes, ring_slot_size};
  packet_error error = {0, NULL, NULL, NULL};
  link_handle *handle = calloc(1, sizeof *handle);
  if (handle == NULL) return binding_throw_argument(env, "ERR_OUT_OF_MEMORY", "out of memory");
  if (packet_open(&options, &handle->sock, &error) < 0) {
    free(handle);
    return binding_throw(env, &error);
  }
  napi_value external, resource_name;
  handle->counters = counters;
  if (handle_register(addon, env, handle, &error) < 0) {
    packet_close(handle->sock);
    free(handle);
    return binding_throw(env, &error);
  }
  /* From here on the handle is registered: failures close it through the normal asynchronous path. */
  if (napi_create_reference(env, argv[5], 1, &handle->counters_ref) != napi_ok ||
      napi_create_string_utf8(env, "aoekit:PacketSocket", NAPI_AUTO_LENGTH, &resource_name) != napi_ok ||
      napi_async_init(env, NULL, resource_name, &handle->async_context) != napi_ok ||
      napi_create_external(env, handle, handle_finalize, NULL, &external) != napi_ok) {
    handle->finalized = 1;
    handle_begin_close(handle);
    return binding_throw_argument(env, "ERR_NAPI", "could not create the socket handle");
  }
  return external;
}

/* packetStart(handle, slab: Uint8Array, slotSize, slotCount, lengths: Uint32Array, onBatch, onError) */
static napi_value packet_start_js(napi_env env, napi_callback_info info) {
  ARGUMENTS(7);
  link_handle *handle = binding_get_handle(env, argv[0]);
  void *slab, *lengths;
  size_t slab_bytes, length_count;
  uint32_t slot_size, slot_count;
  if (handle == NULL || binding_get_bytes(env, argv[1], napi_uint8_array, &slab, &slab_bytes) < 0 ||
      binding_get_uint32(env, argv[2], &slot_size) < 0 || binding_get_uint32(env, argv[3], &slot_count) < 0 ||
      binding_get_bytes(env, argv[4], napi_uint32_array, &lengths, &length_count) < 0) {
    return NULL;
  }
  if (handle->state != HANDLE_OPEN) return binding_throw_argument(env, "ERR_SOCKET_CLOSED", "the packet socket is closed");
  if (slot_size < 64 || slot_count == 0 || (uint64_t)slot_size * slot_count > slab_bytes || length_count < slot_count) {
    return binding_throw_argument(env, "ERR_OUT_OF_RANGE", "slab or lengths too small for slotSize x slotCount");
  }
  packet_error error = {0, NULL, NULL, NULL};
  if (packet_set_receive_buffers(handle->sock, slab, slot_size, slot_count, &error) < 0) return binding_throw(env, &error);
  napi_ref refs[4] = {NULL, NULL, NULL, NULL};
  napi_value values[4] = {argv[1], argv[4], argv[5], argv[6]};
  for (int i = 0; i < 4; i++) {
    if (napi_create_reference(env, values[i], 1, &refs[i]) != napi_ok) {
      for (int j = 0; j < i; j++) napi_delete_reference(env, refs[j]);
      return binding_throw_argument(env, "ERR_NAPI", "could not reference receive buffers");
    }
  }
  napi_ref *slots[4] = {&handle->slab_ref, &handle->lengths_ref, &handle->on_batch_ref, &handle->on_error_ref};
  for (int i = 0; i < 4; i++) {
    if (*slots[i] != NULL) napi_delete_reference(env, *slots[i]);
    *slots[i] = refs[i];
  }
  handle->lengths = lengths;
  handle->slot_count = slot_count;
  if (!handle->receiving && handle_start_receiving(handle, &error) < 0) return binding_throw(env, &error);
  return NULL;
}

/* packetRefresh(handle): flags, MTU and kernel drops into the shared counters. */
static napi_value packet_refresh_js(napi_env env, napi_callback_info info) {
  ARGUMENTS(1);
  link_handle *handle = binding_get_handle(env, argv[0]);
  if (handle == NULL) return NULL;
  if (handle->state != HANDLE_OPEN) return binding_throw_argument(env, "ERR_SOCKET_CLOSED", "the packet socket is closed");
  packet_error error = {0, NULL, NULL, NULL};
  if (packet_refresh(handle->sock, handle->counters, &error) < 0) return binding_throw(env, &error);
  return NULL;
}

/* packetRef(handle, ref: boolean): whether an active receive keeps the event loop alive. */
static napi_value packet_ref_js(napi_env env, napi_callback_info info) {
  ARGUMENTS(2);
  link_handle *handle = binding_get_handle(env, argv[0]);
  bool keep = true;
  if (handle == NULL || napi_get_value_bool(env, argv[1], &keep) != napi_ok) return NULL;
  if (handle->state == HANDLE_OPEN) keep ? uv_ref((uv_handle_t *)&handle->poll) : uv_unref((uv_handle_t *)&handle->poll);
  return NULL;
}

/* packetClose(handle, onClosed) -> true if this call started closing (onClosed runs later), else false. */
static napi_value packet_close_js(napi_env env, napi_callback_info info) {
  ARGUMENTS(2);
  link_handle *handle = binding_get_handle(env, argv[0]);
  napi_value result;
  if (handle == NULL) return NULL;
  bool started = handle->state == HANDLE_OPEN;
  if (started && napi_create_reference(env, argv[1], 1, &handle->on_close_ref) != napi_ok) return NULL;
  if (started) handle_begin_close(handle);
  napi_get_boolean(env, started, &result);
  return result;
}

static void addon_free(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}


/* The counters' slot indices as {name: index}, straight from enum packet_counter, so JS never mirrors the enum. */
static napi_status binding_export_counters(napi_env env, napi_value exports) {
  static const struct { const char *name; uint32_t index; } slots[] = {
      {"framesIn", PACKET_COUNTER_FRAMES_IN},       {"bytesIn", PACKET_COUNTER_BYTES_IN},
      {"framesOut", PACKET_COUNTER_FRAMES_OUT},     {"bytesOut", PACKET_COUNTER_BYTES_OUT},
      {"batchesIn", PACKET_COUNTER_BATCHES_IN},     {"sendBlocked", PACKET_COUNTER_SEND_BLOCKED},
      {"sendErrors", PACKET_COUNTER_SEND_ERRORS},   {"truncated", PACKET_COUNTER_TRUNCATED},
      {"kernelDrops", PACKET_COUNTER_KERNEL_DROPS}, {"receiveErrors", PACKET_COUNTER_RECEIVE_ERRORS},
      {"flags", PACKET_COUNTER_FLAGS},              {"mtu", PACKET_COUNTER_MTU},
  };
  napi_value counters;
  napi_status status = napi_create_object(env, &counters);
  for (size_t i = 0; status == napi_ok && i < sizeof slots / sizeof slots[0]; i++) {
    napi_value index;
    status = napi_create_uint32(env, slots[i].index, &index);
    if (status == napi_ok) status = napi_set_named_property(env, counters, slots[i].name, index);
  }
  if (status == napi_ok) status = napi_set_named_property(env, exports, "counters", counters);
  return status;
}

NAPI_MODULE_INIT() {
  addon_state *addon = calloc(1, sizeof *addon);
  if (addon == NULL) return binding_throw_argument(env, "ERR_OUT_OF_MEMORY", "out of memory");
  addon->env = env;
  if (napi_get_uv_event_loop(env, &addon->loop) != napi_ok ||
      napi_set_instance_data(env, addon, addon_free, NULL) != napi_ok) {
    free(addon);
    return binding_throw_argument(env, "ERR_NAPI", "could not initialise the packet addon");
  }
  if (napi_add_async_cleanup_hook(env, addon_teardown, addon, &addon->cleanup_hook) != napi_ok) {
    return binding_throw_argument(env, "ERR_NAPI", "could not register the exit cleanup hook");
  }
  napi_property_descriptor functions[] = {
      {"packetOpen", NULL, packet_open_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"packetStart", NULL, packet_start_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"packetSend", NULL, packet_send_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"packetSendSlab", NULL, packet_send_slab_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"packetRefresh", NULL, packet_refresh_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"packetRef", NULL, packet_ref_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"packetClose", NULL, packet_close_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"packetInterfaceInfo", NULL, packet_interface_info_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"packetListInterfaces", NULL, packet_list_interfaces_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"packetSetMtu", NULL, packet_set_mtu_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fileReadSlab", NULL, file_read_slab_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fileWriteSlab", NULL, file_write_slab_js, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_value counter_count;
  if (napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions) != napi_ok ||
      napi_create_uint32(env, PACKET_COUNTER_COUNT, &counter_count) != napi_ok ||
      napi_set_named_property(env, exports, "counterCount", counter_count) != napi_ok ||
      binding_export_counters(env, exports) != napi_ok) {
    return NULL;
  }
  return exports;
}
