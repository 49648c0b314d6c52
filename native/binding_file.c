/* N-API glue for slab file I/O: fileReadSlab / fileWriteSlab (one slab + offsets + lengths, one call per run, none per span). */
#include "binding.h"
#include "fileio.h"

/* Largest integer a JS number holds exactly (Number.MAX_SAFE_INTEGER). */
#define SAFE_INTEGER_MAX 9007199254740991.0

/* A file position: an integral JS number in [0, 2^53). Returns 0, or -1 after throwing. */
static int get_position(napi_env env, napi_value value, uint64_t *out) {
  double position;
  if (napi_get_value_double(env, value, &position) != napi_ok) {
    binding_throw_argument(env, "ERR_INVALID_ARG_TYPE", "position must be a number");
    return -1;
  }
  if (!(position >= 0 && position <= SAFE_INTEGER_MAX) || (double)(uint64_t)position != position) {
    binding_throw_argument(env, "ERR_OUT_OF_RANGE", "position must be an integer from 0 to 2^53 - 1");
    return -1;
  }
  *out = (uint64_t)position;
  return 0;
}

/*
 * (fd, position, slab: Uint8Array, offsets: Uint32Array, lengths: Uint32Array, count) -> bytes moved.
 * Every span is checked against the slab before any I/O; the total is less than the spans' sum only at end of file.
 */
static napi_value transfer(napi_env env, napi_callback_info info, int writing) {
  ARGUMENTS(6);
  int32_t fd;
  uint64_t position;
  void *slab, *offsets, *lengths;
  size_t slab_bytes, offset_count, length_count;
  uint32_t count;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    return binding_throw_argument(env, "ERR_INVALID_ARG_TYPE", "fd must be a number");
  }
  if (get_position(env, argv[1], &position) < 0 ||
      binding_get_bytes(env, argv[2], napi_uint8_array, &slab, &slab_bytes) < 0 ||
      binding_get_bytes(env, argv[3], napi_uint32_array, &offsets, &offset_count) < 0 ||
      binding_get_bytes(env, argv[4], napi_uint32_array, &lengths, &length_count) < 0 ||
      binding_get_uint32(env, argv[5], &count) < 0) {
    return NULL;
  }
  if (offset_count < count || length_count < count) {
    return binding_throw_argument(env, "ERR_OUT_OF_RANGE", "offsets and lengths need at least count entries");
  }
  const uint32_t *offset_values = offsets;
  const uint32_t *length_values = lengths;
  uint64_t sum = 0;
  for (uint32_t i = 0; i < count; i++) {
    if ((uint64_t)offset_values[i] + length_values[i] > slab_bytes) {
      return binding_throw_argument(env, "ERR_OUT_OF_RANGE", "a span extends past the end of the slab");
    }
    sum += length_values[i]; /* spans may overlap, so the sum is bounded only by count x slab size */
    if (sum > (uint64_t)SAFE_INTEGER_MAX - position) {
      return binding_throw_argument(env, "ERR_OUT_OF_RANGE", "position + total length exceeds 2^53 - 1");
    }
  }
  packet_error error = {0, NULL, NULL, NULL};
  int64_t moved = fileio_transfer(fd, writing, slab, offset_values, length_values, count, position, &error);
  if (moved < 0) return binding_throw(env, &error);
  napi_value result;
  if (napi_create_double(env, (double)moved, &result) != napi_ok) return NULL;
  return result;
}

napi_value file_read_slab_js(napi_env env, napi_callback_info info) { return transfer(env, info, 0); }

napi_value file_write_slab_js(napi_env env, napi_callback_info info) { return transfer(env, info, 1); }
