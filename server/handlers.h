/*
 * handlers.h - the two RPCs of ietf-sztp-bootstrap-server (RFC 8572 s7).
 * Called by restconf.c after method and media types were checked; each
 * authenticates the device, validates the input with YANG and answers.
 */
#ifndef SZTPD_HANDLERS_H
#define SZTPD_HANDLERS_H

#include "request.h"

struct server;

void handle_get_bootstrapping_data(struct server *s, struct request *r, enum yang_enc in_enc);
void handle_report_progress(struct server *s, struct request *r, enum yang_enc in_enc);

#endif
