/* libshmon_probe: the C API. Opaque handles; no function raises, none blocks without a bound.
 * Handles returned for a probe stay valid until shmon_probe_close(). A NULL handle is accepted
 * everywhere and ignored. Return codes: 0 = ok, negative = SHMON_E_* below. */
#ifndef SHMON_PROBE_H
#define SHMON_PROBE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct shmon_probe shmon_probe;
typedef struct shmon_counter shmon_counter;
typedef struct shmon_gauge shmon_gauge;
typedef struct shmon_histogram shmon_histogram;
typedef struct shmon_event_type shmon_event_type;

enum {
  SHMON_OK = 0,
  SHMON_E_NOT_CONNECTED = -1,
  SHMON_E_LOCK_TIMEOUT = -2,
  SHMON_E_TIMEOUT = -3,
  SHMON_E_REVOKED = -4,
  SHMON_E_AGENT = -5,
  SHMON_E_ARGUMENT = -6,
  SHMON_E_DROPPED = -7
};

enum { SHMON_TRACE = 0, SHMON_DEBUG, SHMON_INFO, SHMON_WARN, SHMON_ERROR, SHMON_FATAL };

/* instance/name may be NULL (defaults as in the C++ API). Returns NULL only when out of memory. */
shmon_probe* shmon_probe_open(const char* instance, const char* name);
void shmon_probe_close(shmon_probe* probe);
int shmon_probe_connected(const shmon_probe* probe);

shmon_counter* shmon_counter_get(shmon_probe* probe, const char* name);
void shmon_counter_add(shmon_counter* counter, uint64_t delta);
shmon_gauge* shmon_gauge_get(shmon_probe* probe, const char* name);
void shmon_gauge_set(shmon_gauge* gauge, double value);
shmon_histogram* shmon_histogram_get(shmon_probe* probe, const char* name);
void shmon_histogram_record(shmon_histogram* histogram, int64_t value);
shmon_event_type* shmon_event_type_get(shmon_probe* probe, const char* name);
int shmon_event_emit(shmon_probe* probe, shmon_event_type* type, int level, const char* text);

int shmon_ping(shmon_probe* probe, uint64_t* round_trip_ns);
int shmon_flush(shmon_probe* probe);

#ifdef __cplusplus
}
#endif

#endif /* SHMON_PROBE_H */
