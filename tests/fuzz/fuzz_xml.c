/*
 * mg_xml_parse and the walks the readers make. A document that declares
 * anything (DOCTYPE, ENTITY) is refused, and none that is accepted holds
 * a DTD; an accepted one has a root element. For every element, the
 * child and sibling walks find it by name where libxml2 put it, its text
 * is valid UTF-8 and fits a bounded buffer exactly when it should, and
 * mg_xml_escape writes text that parses back to the same bytes.
 */
#include <string.h>

#include <libxml/tree.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/xml.h"
#include "fuzz.h"
#include "mns/xmlio.h"

#include "common/banned.h"

/* Elements checked per parent and texts re-escaped per input: bounded so
 * that wide documents stay fast, while the first ones cover each path. */
#define MAX_CHILDREN 64
#define MAX_ESCAPED  16
#define SMALL_FIELD  8

static void check_escape(const struct mg_buf *text)
{
    struct mg_buf doc = MG_BUF_INIT(8 * text->len + 64);
    struct mg_buf back = MG_BUF_INIT(text->len + 1);
    struct mg_error err;
    xmlDocPtr again;

    mg_error_clear(&err);
    FUZZ_CHECK(mg_buf_adds(&doc, "<r>") == 0);
    FUZZ_CHECK(mg_xml_escape(&doc, mg_buf_str(text), text->len) == 0);
    FUZZ_CHECK(mg_buf_adds(&doc, "</r>") == 0);
    again = mg_xml_parse(doc.data, doc.len, &err);
    FUZZ_CHECK(again != NULL);
    FUZZ_CHECK(mg_xml_text(mg_xml_root(again), &back) == 0);
    FUZZ_CHECK(fuzz_same(back.data, back.len, text->data, text->len));
    xmlFreeDoc(again);
    mg_buf_release(&back);
    mg_buf_release(&doc);
}

/* The text of node, which has no element children in the way. */
static void check_text(xmlNodePtr parent, xmlNodePtr node, int *escaped)
{
    struct mg_buf text = MG_BUF_INIT(1u << 20);
    char small[SMALL_FIELD];
    int rc;

    FUZZ_CHECK(mg_xml_text(node, &text) == 0);
    FUZZ_CHECK(text.data != NULL);
    FUZZ_CHECK(mns_utf8_valid(text.data, text.len));
    FUZZ_CHECK(fuzz_no_nul(text.data, text.len));

    /* The named child is the first of that name: only it is compared. */
    if (mg_xml_child(parent, (const char *)node->name) == node) {
        rc = mg_xml_child_text(parent, (const char *)node->name, small,
                               sizeof(small));
        FUZZ_CHECK((rc == 0) == (text.len < sizeof(small)));
        FUZZ_CHECK(rc != 0 || strcmp(small, text.data) == 0);
    }
    if (*escaped < MAX_ESCAPED) {
        (*escaped)++;
        check_escape(&text);
    }
    mg_buf_release(&text);
}

/* c is reached by the child walk (first of its name) and the sibling
 * walk from there. */
static void check_found(xmlNodePtr parent, xmlNodePtr c)
{
    const char *name = (const char *)c->name;
    xmlNodePtr first = mg_xml_child(parent, name);
    xmlNodePtr at = first;

    FUZZ_CHECK(mg_xml_is(c, name));
    FUZZ_CHECK(first != NULL && mg_xml_is(first, name));
    while (at != NULL && at != c) {
        at = mg_xml_next(at, name);
    }
    FUZZ_CHECK(at == c);
}

static void walk(xmlNodePtr parent, int *escaped)
{
    xmlNodePtr c;
    int seen = 0;

    for (c = parent->children; c && seen < MAX_CHILDREN; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) {
            continue;
        }
        seen++;
        check_found(parent, c);
        check_text(parent, c, escaped);
        walk(c, escaped);
    }
}

static int declares(const uint8_t *data, size_t size)
{
    return memmem(data, size, "<!DOCTYPE", 9) != NULL ||
           memmem(data, size, "<!ENTITY", 8) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mg_error err;
    xmlDocPtr doc;
    xmlNodePtr root;
    int escaped = 0;

    mg_error_clear(&err);
    doc = mg_xml_parse((const char *)data, size, &err);
    if (doc == NULL) {
        FUZZ_CHECK(err.cls == MG_INVALID && err.code[0] != '\0');
        return 0;
    }
    FUZZ_CHECK(!declares(data, size));
    FUZZ_CHECK(doc->intSubset == NULL && doc->extSubset == NULL);
    root = mg_xml_root(doc);
    FUZZ_CHECK(root != NULL && root->type == XML_ELEMENT_NODE);
    FUZZ_CHECK(mg_xml_is(root, (const char *)root->name));

    walk(root, &escaped);
    xmlFreeDoc(doc);
    return 0;
}
