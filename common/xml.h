#ifndef MG_XML_H
#define MG_XML_H

#include <stddef.h>

#include <libxml/tree.h>

struct mg_buf;
struct mg_error;

/*
 * libxml2 with the doors shut: no network, no DTD loading, no entity
 * substitution, and any document that carries a DOCTYPE is refused before
 * its content is read, so "billion laughs" and external entities cannot
 * cost memory or reach a host. Elements are found by local name, whatever
 * namespace (or none) the sender used.
 */

/* Parse; NULL on failure with err set. Free with xmlFreeDoc. */
xmlDocPtr mg_xml_parse(const char *buf, size_t len, struct mg_error *err);

/*
 * The same, but libxml2 recovers what it can from a document that is not
 * well-formed. Only for salvaging the intact parts of a service answer
 * that one bad element would otherwise make unusable as a whole.
 */
xmlDocPtr mg_xml_parse_recover(const char *buf, size_t len,
                               struct mg_error *err);

/* Root element, or NULL. */
xmlNodePtr mg_xml_root(xmlDocPtr doc);

/* Does the element have this local name? */
int mg_xml_is(xmlNodePtr node, const char *name);

/* First element child with this local name, or NULL. */
xmlNodePtr mg_xml_child(xmlNodePtr parent, const char *name);

/* Next element sibling with this local name (any name when NULL). */
xmlNodePtr mg_xml_next(xmlNodePtr node, const char *name);

/*
 * The text of an element (text and CDATA children joined), appended to
 * out. Returns -1 when out's limit is passed.
 */
int mg_xml_text(xmlNodePtr node, struct mg_buf *out);

/* Text of a named child into a fixed buffer ("" when absent); -1 when it
 * does not fit. */
int mg_xml_child_text(xmlNodePtr parent, const char *name, char *out,
                      size_t outlen);

/* Append s escaped for element content or attribute values. */
int mg_xml_escape(struct mg_buf *out, const char *s, size_t n);

/* Call once at start-up, before threads. */
void mg_xml_global_init(void);

#endif
