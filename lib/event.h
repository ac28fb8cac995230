/*
 * event.h - the events sztpd tells an NMS about (issue 12): their types,
 * the JSON every consumer sends (webhook bodies, syslog messages' text),
 * and the details of a get-bootstrapping-data answer.  The outbox itself
 * is the registry's events table (registry.h); the consumers are in
 * events/ (webhook.c, syslog.c).
 *
 * An event as delivered (the envelope):
 *   {"id": 42, "type": "progress.reported", "time": "2026-11-30T21:50:00Z",
 *    "serial": "SN1", "peer": "192.0.2.7", "data": {...}}
 * serial and peer are "" when there is none (a profile change; a change
 * made by sztpctl on the registry file).
 */
#ifndef SZTP_EVENT_H
#define SZTP_EVENT_H

#include "registry.h"
#include "result.h"

/* get-bootstrapping-data answered with data (200), or refused (4xx/5xx) */
#define EV_BOOTSTRAP_SERVED  "bootstrap.served"
#define EV_BOOTSTRAP_REFUSED "bootstrap.refused"
/* a progress report stored; a device's terminal outcome (with the report) */
#define EV_PROGRESS	    "progress.reported"
#define EV_DEVICE_COMPLETED "device.completed" /* bootstrap-complete */
#define EV_DEVICE_FAILED    "device.failed"    /* a *-error report (config-error, ...) */
/* admin changes (the admin API and sztpctl alike) */
#define EV_DEVICE_ENROLLED  "device.enrolled"
#define EV_DEVICE_CHANGED   "device.changed"
#define EV_DEVICE_DELETED   "device.deleted"
#define EV_VOUCHER_ATTACHED "voucher.attached"
#define EV_VOUCHER_DETACHED "voucher.detached"
#define EV_PROFILE_CHANGED  "profile.changed"
#define EV_PROFILE_DELETED  "profile.deleted"

/* Every type above, NULL-terminated, in this order. */
extern const char *const event_types[];
int event_type_known(const char *type);
/* A subscription's type list: "" (every type) or comma-separated known
 * types without spaces or repeats.  SZTP_E_INVALID_VALUE naming the
 * first bad one. */
sztp_rc event_types_check(const char *list, struct sztp_err *e);
/* Whether type is in list ("" matches every type). */
int event_types_match(const char *list, const char *type);
/* Whether a progress-type ends a device's bootstrap: 1 completed, -1
 * failed, 0 neither (the registry writes device.* events by the same
 * rule, in SQL). */
int event_progress_terminal(const char *progress_type);

/* The envelope as compact JSON text (malloc'd; NULL when out of memory
 * or when ev->data is not a JSON object). */
char *event_envelope(const struct reg_event *ev);

/* The data of a get-bootstrapping-data event. */
struct event_bootstrap {
	int status;	     /* HTTP status sent */
	const char *outcome; /* the audit line's result ("signed", "unsigned", "not-enrolled"...) */
	const char *profile; /* NULL/"" when none (refused before one was known) */
	const char *kind; /* "onboarding-information" | "redirect-information"; NULL when refused */
	int signed_data;  /* served signed (owner certificate and voucher sent) */
	const char *reason;  /* refused: the error message the device was sent */
	const char *lenient; /* served: the profile's leniencies the answer needed, comma-separated
			      * (reg_lenient_format); NULL/"" when none */
};
/* JSON object text (malloc'd; NULL when out of memory):
 * served:  {"status":200,"outcome":..,"profile":..,"kind":..,"signed":true}
 *          (and "lenient":["empty-nonce",..] when a leniency was needed)
 * refused: {"status":404,"outcome":..,"reason":..} */
char *event_bootstrap_data(const struct event_bootstrap *b);

#endif
