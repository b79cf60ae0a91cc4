// SPDX-License-Identifier: Apache-2.0
/* The C API from an installed SDK, built with `pkg-config --cflags --libs shmon-probe`. */
#include <shmon/probe.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: c_consumer INSTANCE NAME\n");
    return 2;
  }
  shmon_probe_options options;
  shmon_probe_options_init(&options);
  options.instance = argv[1];
  options.name = argv[2];
  shmon_probe* probe = shmon_probe_open_with(&options);
  if (probe == NULL) return 1;
  if (!shmon_probe_wait_connected(probe, 10000)) {
    char why[256];
    shmon_probe_last_error(probe, why, sizeof why);
    fprintf(stderr, "c_consumer: not connected: %s\n", why);
    shmon_probe_close(probe);
    return 1;
  }
  const int64_t bounds[] = {10, 100, 1000};
  shmon_counter_add(shmon_counter_get_unit(probe, "c_requests", "requests"), 7);
  shmon_gauge_set(shmon_gauge_get_unit(probe, "c_depth", NULL), 1.5);
  shmon_histogram_record(shmon_histogram_get_bounds(probe, "c_latency", bounds, 3, "us"), 5);
  shmon_event_type* done = shmon_event_type_get(probe, "c_done");
  const unsigned char bytes[4] = {1, 2, 3, 4};
  int rc = shmon_event_emit(probe, done, SHMON_INFO, "done");
  if (rc == SHMON_OK) rc = shmon_event_emit_bytes(probe, done, SHMON_WARN, bytes, sizeof bytes);
  if (rc == SHMON_OK) rc = shmon_flush(probe);
  uint64_t rtt = 0;
  if (rc == SHMON_OK) rc = shmon_ping(probe, &rtt);
  if (rc == SHMON_OK && !(shmon_probe_connected(probe) && shmon_probe_poll(probe))) rc = -100;
  shmon_probe_close(probe);

  /* The plain open and the unit-less getters, on a second probe of the same process. */
  shmon_probe* plain = shmon_probe_open(argv[1], "c-consumer-plain");
  if (plain == NULL || !shmon_probe_wait_connected(plain, 10000)) rc = -101;
  shmon_counter_add(shmon_counter_get(plain, "c_plain"), 1);
  shmon_gauge_set(shmon_gauge_get(plain, "c_plain_gauge"), 1);
  shmon_histogram_record(shmon_histogram_get(plain, "c_plain_hist"), 1);
  if (rc == SHMON_OK) rc = shmon_flush(plain);
  shmon_probe_close(plain);
  if (rc != SHMON_OK) {
    fprintf(stderr, "c_consumer: failed with %d\n", rc);
    return 1;
  }
  printf("c_consumer: ok (ping %llu ns)\n", (unsigned long long)rtt);
  return 0;
}
