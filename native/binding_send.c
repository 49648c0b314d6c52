/* N-API glue for the send path: packetSend (array of frames) and packetSendSlab (one slab + offsets, no per-frame N-API). */
#include <stdlib.h>

#include "binding.h"

/* Makes room for `count` frames in the handle's send scratch. Returns 0, or -1 after throwing. */
static int reserve_frames(napi_env env, link_handle *handle, uint32_t count) {
  if (count <= handle->frame_capacity) return 0;
  packet_frame *frames = realloc(handle->frames, (size_t)count * sizeof *frames);
  if (frames == NULL) {
    binding_throw_argument(env, "ERR_OUT_OF_MEMORY", "out of memory");
    return -1;
  }
  handle->frames = frames;
  handle->frame_capacity = count;
  return 0;
}

static napi_value make_count(napi_env env, uint32_t count) {
  napi_value result;
  if (napi_create_uint32(env, count, &result) != napi_ok) return NULL;
  return result;
}

/* packetSend(handle, frames: Uint8Array[], lengths: Uint32Array | number[], count) -> frames consumed */
napi_value packet_send_js(napi_env env, napi_callback_info info) {
  ARGUMENTS(4);
  link_handle *handle = binding_get_handle(env, argv[0]);
  uint32_t count, frame_total;
  bool typed_lengths = false;
  void *length_data = NULL;
  size_t length_count = 0;
  napi_typedarray_type length_type = napi_uint32_array;
  if (handle == NULL || binding_get_uint32(env, argv[3], &count) < 0) return NULL;
  if (napi_get_array_length(env, argv[1], &frame_total) != napi_ok || frame_total < count) {
    return binding_throw_argument(env, "ERR_OUT_OF_RANGE", "frames must be an array with at least count entries");
  }
  /* Fast path: a Uint32Array is read directly; any other array-like goes element by element. */
  bool is_typed = false;
  napi_is_typedarray(env, argv[2], &is_typed);
  if (is_typed && napi_get_typedarray_info(env, argv[2], &length_type, &length_count, &length_data, NULL, NULL) == napi_ok &&
      length_type == napi_uint32_array) {
    if (length_count < count) return binding_throw_argument(env, "ERR_OUT_OF_RANGE", "lengths has fewer than count entries");
    typed_lengths = true;
  }
  if (handle->state != HANDLE_OPEN || count == 0) return make_count(env, 0);
  if (reserve_frames(env, handle, count) < 0) return NULL;
  for (uint32_t i = 0; i < count; i++) {
    napi_value frame, length_value;
    void *data;
    size_t bytes;
    uint32_t length;
    if (napi_get_element(env, argv[1], i, &frame) != napi_ok ||
        binding_get_bytes(env, frame, napi_uint8_array, &data, &bytes) < 0) {
      return binding_throw_argument(env, "ERR_INVALID_ARG_TYPE", "frames must hold Uint8Arrays");
    }
    if (typed_lengths) {
      length = ((const uint32_t *)length_data)[i];
    } else if (napi_get_element(env, argv[2], i, &length_value) != napi_ok || binding_get_uint32(env, length_value, &length) < 0) {
      return NULL;
    }
    if (length > bytes) return binding_throw_argument(env, "ERR_OUT_OF_RANGE", "a frame length exceeds its buffer");
    handle->frames[i].data = data;
    handle->frames[i].length = length;
  }
  return make_count(env, packet_send_batch(handle->sock, handle->frames, count, handle->counters));
}

/*
 * packetSendSlab(handle, slab: Uint8Array, offsets: Uint32Array, lengths: Uint32Array, count) -> frames consumed.
 * Frame i is slab[offsets[i] .. offsets[i] + lengths[i]): four typed-array lookups per call, none per frame.
 */
napi_value packet_send_slab_js(napi_env env, napi_callback_info info) {
  ARGUMENTS(5);
  link_handle *handle = binding_get_handle(env, argv[0]);
  void *slab, *offsets, *lengths;
  size_t slab_bytes, offset_count, length_count;
  uint32_t count;
  if (handle == NULL || binding_get_bytes(env, argv[1], napi_uint8_array, &slab, &slab_bytes) < 0 ||
      binding_get_bytes(env, argv[2], napi_uint32_array, &offsets, &offset_count) < 0 ||
      binding_get_bytes(env, argv[3], napi_uint32_array, &lengths, &length_count) < 0 ||
      binding_get_uint32(env, argv[4], &count) < 0) {
    return NULL;
  }
  if (offset_count < count || length_count < count) {
    return binding_throw_argument(env, "ERR_OUT_OF_RANGE", "offsets and lengths need at least count entries");
  }
  if (handle->state != HANDLE_OPEN || count == 0) return make_count(env, 0);
  if (reserve_frames(env, handle, count) < 0) return NULL;
  const uint32_t *offset_values = offsets;
  const uint32_t *length_values = lengths;
  for (uint32_t i = 0; i < count; i++) {
    uint64_t end = (uint64_t)offset_values[i] + length_values[i];
    if (end > slab_bytes) return binding_throw_argument(env, "ERR_OUT_OF_RANGE", "a frame extends past the end of the slab");
    handle->frames[i].data = (uint8_t *)slab + offset_values[i];
    handle->frames[i].length = length_values[i];
  }
  return make_count(env, packet_send_batch(handle->sock, handle->frames, count, handle->counters));
}
