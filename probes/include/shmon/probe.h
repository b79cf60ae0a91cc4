// SPDX-License-Identifier: Apache-2.0
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
  SHMON_E_DROPPED = -7,
  /* shmon_flush: the agent has the values but its state store could not make them durable (full
   * or failing disk): not acknowledged; they stay in this probe's region. Retry later. */
  SHMON_E_NOT_DURABLE = -8
};

enum { SHMON_TRACE = 0, SHMON_DEBUG, SHMON_INFO, SHMON_WARN, SHMON_ERROR, SHMON_FATAL };

enum { SHMON_OVERFLOW_DROP = 0, SHMON_OVERFLOW_WAIT = 1 };

/* Everything shmon::ProbeOptions holds. Fill it with shmon_probe_options_init() first, then change
 * what you need: a zero count or timeout there means "the default". `size` lets the struct grow in
 * later versions: init sets it, open reads only the fields that fit in it. */
typedef struct shmon_probe_options {
  size_t size;          /* sizeof(shmon_probe_options), set by shmon_probe_options_init */
  const char* instance; /* NULL: $SHMON_INSTANCE, else "default" */
  const char* name;     /* NULL: $SHMON_CLIENT_NAME, else the program name */
  uint32_t metric_capacity;
  uint32_t shard_count;
  uint32_t histogram_capacity;
  uint32_t histogram_buckets;
  uint32_t ring_capacity; /* a power of two */
  int background_connect; /* 1: a connector thread attaches (default); 0: attach in calls/poll */
  uint32_t lock_timeout_ms;
  uint32_t done_timeout_ms;
  int overflow;                       /* SHMON_OVERFLOW_DROP (default) or SHMON_OVERFLOW_WAIT */
  uint32_t overflow_wait_ms;          /* SHMON_OVERFLOW_WAIT: longest wait per event */
  uint32_t max_label_sets_per_metric; /* label sets one metric name may have (default 100) */
  uint32_t max_labelled_series;       /* labelled series in this probe (default 1000) */
} shmon_probe_options;

void shmon_probe_options_init(shmon_probe_options* options);

/* instance/name may be NULL (defaults as in the C++ API). Returns NULL only when out of memory. */
shmon_probe* shmon_probe_open(const char* instance, const char* name);
/* NULL options: all defaults. Returns NULL only when out of memory. */
shmon_probe* shmon_probe_open_with(const shmon_probe_options* options);
void shmon_probe_close(shmon_probe* probe);
int shmon_probe_connected(const shmon_probe* probe);
/* Without the background thread: attempts an attach if one is due. Returns 1 when connected. */
int shmon_probe_poll(shmon_probe* probe);
/* Waits at most timeout_ms until attached. Returns 1 when connected, 0 otherwise. */
int shmon_probe_wait_connected(shmon_probe* probe, uint32_t timeout_ms);
/* The last reason for not being connected (or a refused registration); when there is none, a
 * lasting condition of the probe (its data region was reduced to fit the memory cgroup).
 * NUL-terminated and truncated to `size` bytes. Returns the full length (as snprintf); 0 when
 * there is nothing to say. */
size_t shmon_probe_last_error(const shmon_probe* probe, char* buffer, size_t size);

/* unit may be NULL (none). A repeated name returns a handle to the same metric. */
shmon_counter* shmon_counter_get(shmon_probe* probe, const char* name);
shmon_counter* shmon_counter_get_unit(shmon_probe* probe, const char* name, const char* unit);
void shmon_counter_add(shmon_counter* counter, uint64_t delta);
shmon_gauge* shmon_gauge_get(shmon_probe* probe, const char* name);
shmon_gauge* shmon_gauge_get_unit(shmon_probe* probe, const char* name, const char* unit);
void shmon_gauge_set(shmon_gauge* gauge, double value);
shmon_histogram* shmon_histogram_get(shmon_probe* probe, const char* name);
/* upper_bounds: `count` inclusive upper bounds, ascending (NULL/0: log-linear default buckets). */
shmon_histogram* shmon_histogram_get_bounds(shmon_probe* probe, const char* name,
                                            const int64_t* upper_bounds, size_t count,
                                            const char* unit);
void shmon_histogram_record(shmon_histogram* histogram, int64_t value);
/* Labelled metrics: a metric is its name, kind and label set; each label set is its own series.
 * Both strings of every label are copied. Rules (as in probe.hpp): names [A-Za-z_][A-Za-z0-9_]*
 * (not le, quantile, client, slot or __*), values 1..64 bytes of UTF-8 without control
 * characters, at most 8 labels. Returns NULL for invalid labels or past a label-set bound
 * (counted; shmon_probe_last_error says why). Updates cost the same as without labels. */
typedef struct shmon_label {
  const char* name;
  const char* value;
} shmon_label;
shmon_counter* shmon_counter_get_labels(shmon_probe* probe, const char* name,
                                        const shmon_label* labels, size_t label_count,
                                        const char* unit);
shmon_gauge* shmon_gauge_get_labels(shmon_probe* probe, const char* name, const shmon_label* labels,
                                    size_t label_count, const char* unit);
shmon_histogram* shmon_histogram_get_labels(shmon_probe* probe, const char* name,
                                            const shmon_label* labels, size_t label_count,
                                            const int64_t* upper_bounds, size_t count,
                                            const char* unit);
shmon_event_type* shmon_event_type_get(shmon_probe* probe, const char* name);
/* level: SHMON_TRACE .. SHMON_FATAL. SHMON_E_DROPPED when the event was dropped (and counted). */
int shmon_event_emit(shmon_probe* probe, shmon_event_type* type, int level, const char* text);
/* At most 40 bytes of binary payload. */
int shmon_event_emit_bytes(shmon_probe* probe, shmon_event_type* type, int level, const void* data,
                           size_t size);

int shmon_ping(shmon_probe* probe, uint64_t* round_trip_ns);

/* Commands (docs/COMMANDS.md). A handler gets the payload (up to SHMON_COMMAND_PAYLOAD_MAX bytes)
 * and writes at most `reply_capacity` (SHMON_COMMAND_REPLY_MAX) bytes of reply into `reply`,
 * setting *reply_size. It returns SHMON_COMMAND_OK, or SHMON_COMMAND_ERROR (the reply says why).
 * It runs on the connector thread (or in shmon_probe_poll), must return, and must not close the
 * probe. */
enum { SHMON_COMMAND_PAYLOAD_MAX = 1024, SHMON_COMMAND_REPLY_MAX = 1536 };
enum { SHMON_COMMAND_OK = 0, SHMON_COMMAND_ERROR = 1 };
typedef int (*shmon_command_fn)(void* user, const void* payload, size_t payload_size, char* reply,
                                size_t reply_capacity, size_t* reply_size);
/* name: 1..31 bytes of [A-Za-z0-9._-]; description may be NULL. SHMON_E_ARGUMENT when refused. */
int shmon_probe_on_command(shmon_probe* probe, const char* name, const char* description,
                           shmon_command_fn fn, void* user);
/* The handler the built-in `stop` command calls; NULL removes it (stop answers "not supported"). */
int shmon_probe_on_stop(shmon_probe* probe, void (*fn)(void* user), void* user);
/* SHMON_OK once the agent has every update so far and has made it durable; SHMON_E_NOT_DURABLE
 * when it has them but cannot store them yet (its disk is full): retry later. */
int shmon_flush(shmon_probe* probe);

#ifdef __cplusplus
}
#endif

#endif /* SHMON_PROBE_H */
