#ifndef MNS_XMLIO_H
#define MNS_XMLIO_H

#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "mns/mns.h"

struct mg_error;

/*
 * Readers of the service's XML answers. Internal to mns/ and its tests,
 * which feed them captured answers without a server.
 *
 * Elements are found by local name whatever the namespace; unknown and
 * empty elements are ignored and order does not matter. A 2xx document
 * that cannot be read gives -1 with err classed MG_RETRY and code
 * "MalformedResponse": a cut answer is worth another try.
 */

/*
 * A <Messages> list or a single <Message> into out[] (at most max; each
 * initialised by the caller, their bodies are reused). Returns how many.
 */
int mns_parse_messages(const char *xml, size_t len, struct mns_message *out,
                       int max, struct mg_error *err);

/*
 * An error answer: <Error> with Code, Message and RequestId, or anything
 * else, when the HTTP status and the x-mns-request-id header must do.
 * Fills err (classified by mg_error_classify) and returns -1.
 */
int mns_parse_error(const char *body, size_t len, long status,
                    const char *header_request_id, struct mg_error *err);

/*
 * A BatchDeleteMessage answer other than 204. For an <Errors> document:
 * sets failed[i] for each handle listed (for all of them when an entry
 * names a handle that was not sent), logs the codes, fills err from the
 * first entry and returns 1. For anything else returns 0, err untouched.
 */
int mns_parse_delete_errors(const char *xml, size_t len, long status,
                            const char *const *receipts, size_t n, int *failed,
                            struct mg_error *err);

int mns_parse_change_visibility(const char *xml, size_t len, char *receipt,
                                size_t cap, int64_t *next_visible_ms,
                                struct mg_error *err);

/* The MessageId of a SendMessage or PublishMessage answer. */
int mns_parse_message_id(const char *xml, size_t len, char *id, size_t cap,
                         struct mg_error *err);

int mns_parse_queue_attrs(const char *xml, size_t len,
                          struct mns_queue_attrs *out, struct mg_error *err);

/* What the set-up calls compare when the resource already exists. */
struct mns_topic_attrs {
    long maximum_message_size;
};

struct mns_subscription_attrs {
    char endpoint[1024]; /* longer than any we send, so a cut one differs */
    char format[32];
};

int mns_parse_topic_attrs(const char *xml, size_t len,
                          struct mns_topic_attrs *out, struct mg_error *err);
int mns_parse_subscription_attrs(const char *xml, size_t len,
                                 struct mns_subscription_attrs *out,
                                 struct mg_error *err);

/* Is s[0..n) well-formed UTF-8 (shortest forms, no surrogates)? */
int mns_utf8_valid(const char *s, size_t n);

/* The text of a named child element, cut at a character boundary to fit
 * cap bytes; "" when the child is absent. */
void mns_xml_field(xmlNodePtr parent, const char *name, char *out, size_t cap);

/* Copy s[0..n) into out as a C string, cut at a character boundary when
 * it does not fit in cap bytes. */
void mns_copy_cut(char *out, size_t cap, const char *s, size_t n);

#endif
