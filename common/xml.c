#include "common/xml.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>

#include "common/buf.h"
#include "common/error.h"

#include "common/banned.h"

static void quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

void mg_xml_global_init(void)
{
    xmlInitParser();
    xmlSetGenericErrorFunc(NULL, quiet);
}

static xmlDocPtr parse(const char *buf, size_t len, int opts,
                       struct mg_error *err)
{
    xmlDocPtr doc;

    if (buf == NULL || len == 0 || len > INT_MAX) {
        mg_error_set(err, MG_INVALID, "XmlEmpty", "empty XML document");
        return NULL;
    }
    /* Refuse declarations before libxml2 sees them: no legitimate MNS
     * document has one, and entity tricks all need one. */
    if (memmem(buf, len, "<!DOCTYPE", 9) || memmem(buf, len, "<!ENTITY", 8)) {
        mg_error_set(err, MG_INVALID, "XmlDoctype",
                     "XML with a DOCTYPE is refused");
        return NULL;
    }
    doc = xmlReadMemory(buf, (int)len, NULL, NULL, opts);
    if (doc == NULL) {
        mg_error_set(err, MG_INVALID, "XmlSyntax", "malformed XML");
        return NULL;
    }
    if (doc->intSubset != NULL || doc->extSubset != NULL) {
        xmlFreeDoc(doc);
        mg_error_set(err, MG_INVALID, "XmlDoctype",
                     "XML with a DOCTYPE is refused");
        return NULL;
    }
    if (xmlDocGetRootElement(doc) == NULL) {
        xmlFreeDoc(doc);
        mg_error_set(err, MG_INVALID, "XmlEmpty", "XML has no root");
        return NULL;
    }
    return doc;
}

#define SAFE_OPTS                                                \
    (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | \
     XML_PARSE_NOCDATA)

xmlDocPtr mg_xml_parse(const char *buf, size_t len, struct mg_error *err)
{
    return parse(buf, len, SAFE_OPTS, err);
}

xmlDocPtr mg_xml_parse_recover(const char *buf, size_t len,
                               struct mg_error *err)
{
    return parse(buf, len, SAFE_OPTS | XML_PARSE_RECOVER, err);
}

xmlNodePtr mg_xml_root(xmlDocPtr doc)
{
    return doc ? xmlDocGetRootElement(doc) : NULL;
}

int mg_xml_is(xmlNodePtr node, const char *name)
{
    return node && node->type == XML_ELEMENT_NODE &&
           strcmp((const char *)node->name, name) == 0;
}

xmlNodePtr mg_xml_next(xmlNodePtr node, const char *name)
{
    for (node = node ? node->next : NULL; node; node = node->next) {
        if (node->type == XML_ELEMENT_NODE &&
            (name == NULL || strcmp((const char *)node->name, name) == 0)) {
            return node;
        }
    }
    return NULL;
}

xmlNodePtr mg_xml_child(xmlNodePtr parent, const char *name)
{
    xmlNodePtr c;

    if (parent == NULL) {
        return NULL;
    }
    for (c = parent->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE &&
            strcmp((const char *)c->name, name) == 0) {
            return c;
        }
    }
    return NULL;
}

int mg_xml_text(xmlNodePtr node, struct mg_buf *out)
{
    xmlNodePtr c;

    if (node == NULL) {
        return 0;
    }
    for (c = node->children; c; c = c->next) {
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
            c->content) {
            if (mg_buf_adds(out, (const char *)c->content) != 0) {
                return -1;
            }
        }
    }
    if (out->data == NULL) {
        return mg_buf_add(out, "", 0);
    }
    return 0;
}

int mg_xml_child_text(xmlNodePtr parent, const char *name, char *out,
                      size_t outlen)
{
    struct mg_buf b = MG_BUF_INIT(outlen ? outlen - 1 : 0);
    int rc;

    if (outlen == 0) {
        return -1;
    }
    out[0] = '\0';
    rc = mg_xml_text(mg_xml_child(parent, name), &b);
    if (rc == 0 && b.data) {
        memcpy(out, b.data, b.len + 1);
    }
    mg_buf_release(&b);
    return rc;
}

int mg_xml_escape(struct mg_buf *out, const char *s, size_t n)
{
    size_t i;
    int rc = 0;

    for (i = 0; i < n && rc == 0; i++) {
        switch (s[i]) {
        case '<':
            rc = mg_buf_adds(out, "&lt;");
            break;
        case '>':
            rc = mg_buf_adds(out, "&gt;");
            break;
        case '&':
            rc = mg_buf_adds(out, "&amp;");
            break;
        case '"':
            rc = mg_buf_adds(out, "&quot;");
            break;
        case '\'':
            rc = mg_buf_adds(out, "&apos;");
            break;
        case '\r':
            rc = mg_buf_adds(out, "&#13;");
            break;
        default:
            rc = mg_buf_addc(out, s[i]);
        }
    }
    if (rc == 0 && out->data == NULL) {
        rc = mg_buf_add(out, "", 0);
    }
    return rc;
}
