/* N-API glue for NIC facts and control: packetInterfaceInfo, packetListInterfaces, packetSetMtu. */
#include <stdlib.h>

#include "binding.h"

static napi_value make_interface(napi_env env, const packet_interface *nic) {
  napi_value object, name, ifindex, mtu, flags, mac;
  void *mac_data;
  if (napi_create_object(env, &object) != napi_ok ||
      napi_create_string_utf8(env, nic->name, NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_int32(env, nic->ifindex, &ifindex) != napi_ok || napi_create_uint32(env, nic->mtu, &mtu) != napi_ok ||
      napi_create_uint32(env, nic->flags, &flags) != napi_ok ||
      napi_create_buffer_copy(env, 6, nic->mac, &mac_data, &mac) != napi_ok ||
      napi_set_named_property(env, object, "name", name) != napi_ok ||
      napi_set_named_property(env, object, "ifindex", ifindex) != napi_ok ||
      napi_set_named_property(env, object, "mac", mac) != napi_ok ||
      napi_set_named_property(env, object, "mtu", mtu) != napi_ok ||
      napi_set_named_property(env, object, "flags", flags) != napi_ok) {
    return NULL;
  }
  return object;
}

/* packetInterfaceInfo(ifname, netns|null) -> { name, ifindex, mac: Buffer(6), mtu, flags } */
napi_value packet_interface_info_js(napi_env env, napi_callback_info info) {
  ARGUMENTS(2);
  char ifname[NAME_BUFFER], netns[NAME_BUFFER];
  if (binding_get_name(env, argv[0], ifname, sizeof ifname) < 0 || binding_get_name(env, argv[1], netns, sizeof netns) < 0) return NULL;
  packet_interface nic;
  packet_error error = {0, NULL, NULL, NULL};
  if (packet_interface_info(ifname, netns[0] ? netns : NULL, &nic, &error) < 0) return binding_throw(env, &error);
  return make_interface(env, &nic);
}

/* packetListInterfaces(netns|null) -> array of interface objects */
napi_value packet_list_interfaces_js(napi_env env, napi_callback_info info) {
  ARGUMENTS(1);
  char netns[NAME_BUFFER];
  if (binding_get_name(env, argv[0], netns, sizeof netns) < 0) return NULL;
  packet_interface *list = NULL;
  size_t count = 0;
  packet_error error = {0, NULL, NULL, NULL};
  if (packet_list_interfaces(netns[0] ? netns : NULL, &list, &count, &error) < 0) return binding_throw(env, &error);
  napi_value array = NULL;
  if (napi_create_array_with_length(env, count, &array) == napi_ok) {
    for (size_t i = 0; i < count; i++) {
      napi_value item = make_interface(env, &list[i]);
      if (item == NULL || napi_set_element(env, array, (uint32_t)i, item) != napi_ok) {
        array = NULL;
        break;
      }
    }
  }
  free(list);
  return array;
}

/* packetSetMtu(ifname, mtu, netns|null) */
napi_value packet_set_mtu_js(napi_env env, napi_callback_info info) {
  ARGUMENTS(3);
  char ifname[NAME_BUFFER], netns[NAME_BUFFER];
  uint32_t mtu;
  if (binding_get_name(env, argv[0], ifname, sizeof ifname) < 0 || binding_get_uint32(env, argv[1], &mtu) < 0 ||
      binding_get_name(env, argv[2], netns, sizeof netns) < 0) {
    return NULL;
  }
  packet_error error = {0, NULL, NULL, NULL};
  if (packet_set_mtu(ifname, netns[0] ? netns : NULL, mtu, &error) < 0) return binding_throw(env, &error);
  return NULL;
}
