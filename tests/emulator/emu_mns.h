#ifndef EMU_MNS_H
#define EMU_MNS_H

#include <libxml/tree.h>

#include "emu.h"

/*
 * Helpers shared by the MNS handlers (emu_mns.c for queues and messages,
 * emu_topic.c for topics and subscriptions): request documents, range
 * checked values, and answer documents in the v1 namespace.
 */

#define EMU_MNS_NS "http://mns.aliyuncs.com/doc/v1/"

/*
 * Parse the body as a document whose root element is root. Returns 0
 * with *doc set (NULL when the body is empty and optional is set), or -1
 * after answering the error.
 */
int emu_mns_doc(struct emu_ctx *c, const char *root, int optional,
                xmlDocPtr *doc);

/*
 * A child element holding an integer in [lo, hi]: 1 when present and
 * valid, 0 when absent, -1 after answering InvalidArgument.
 */
int emu_mns_int(struct emu_ctx *c, xmlNodePtr parent, const char *name,
                long long lo, long long hi, long long *v);

/* A True/False child; same returns as emu_mns_int. */
int emu_mns_bool(struct emu_ctx *c, xmlNodePtr parent, const char *name,
                 int *v);

/* Text of a child into out (at most max bytes): 1, 0 absent, -1 error. */
int emu_mns_text(struct emu_ctx *c, xmlNodePtr parent, const char *name,
                 char *out, size_t max);

void emu_mns_begin(struct emu_ctx *c, const char *root);
void emu_mns_end(struct emu_ctx *c, const char *root);
void emu_mns_el(struct emu_ctx *c, const char *name, const char *text,
                size_t len);
void emu_mns_el_str(struct emu_ctx *c, const char *name, const char *text);
void emu_mns_el_ll(struct emu_ctx *c, const char *name, long long v);

void emu_mns_created(struct emu_ctx *c, const char *location_path);
void emu_mns_no_content(struct emu_ctx *c);

/* ListQueue and ListTopic paging headers: 0, or -1 after answering. */
int emu_mns_list_args(struct emu_ctx *c, const char **prefix,
                      const char **marker, size_t *max, int *meta);

/* Topic handlers (emu_topic.c). */
void emu_h_create_topic(struct emu_ctx *c);
void emu_h_set_topic(struct emu_ctx *c);
void emu_h_get_topic(struct emu_ctx *c);
void emu_h_delete_topic(struct emu_ctx *c);
void emu_h_list_topics(struct emu_ctx *c);
void emu_h_publish(struct emu_ctx *c);
void emu_h_subscribe(struct emu_ctx *c);
void emu_h_set_subscription(struct emu_ctx *c);
void emu_h_get_subscription(struct emu_ctx *c);
void emu_h_unsubscribe(struct emu_ctx *c);
void emu_h_list_subscriptions(struct emu_ctx *c);

/* Admin helpers that share the MNS code paths (emu_topic.c, emu_mns.c).
 * Both answer in c; tag and id may be NULL. */
void emu_mns_publish_raw(struct emu_ctx *c, const char *topic, const char *tag);
/*
 * Can the bytes travel as XML text, as a real MessageBody must: valid
 * UTF-8 without the characters XML 1.0 forbids (controls other than tab,
 * CR and LF; U+FFFE, U+FFFF)? The admin routes check this, so that they
 * refuse what the signed API refuses.
 */
int emu_mns_xml_text_ok(const char *s, size_t n);

void emu_mns_send_raw(struct emu_ctx *c, const char *queue, long long delay);

#endif
