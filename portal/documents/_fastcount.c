/* The compiled fast path of the word counter: a streaming scanner over the UTF-8 bytes of one
 * WordprocessingML part that applies exactly the rules of portal.documents.walker.PartWalker (see
 * wordcount.py for the rules themselves), counting words as it goes.
 *
 * The pure-Python walker (lxml parser target) is the reference. This scanner handles the plain XML that
 * Word writes and is at least as strict as libxml2 on it; anything else -- a DOCTYPE or CDATA section, an
 * encoding other than UTF-8, an undeclared prefix, an unknown entity, non-ASCII names, deeper nesting than
 * it keeps, any well-formedness error, a token over its buffer cap -- raises `Unsupported`, and the caller
 * counts the whole document again with the reference walker, so every outcome (counts and refusals with
 * their messages) is the reference's. The scanner itself never refuses a document.
 *
 * Memory is bounded by design: the carried-over bytes of an incomplete token (capped at MAX_TOKEN), the
 * element stack (MAX_DEPTH), the open fields (MAX_FIELDS) and small fixed tables. Text is never buffered:
 * the words of a w:t are summarised as they stream (how many, whether the first and last characters join
 * a neighbouring word), which is all the reference's Tally needs from the joined text.
 *
 * What is cheap and rare stays in Python, behind a per-part cache: a paragraph style's look, a list
 * label, a run's resolved look (hidden, colour) and a w:sym character are asked of the `resolver`.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#define MAX_DEPTH 200          /* deeper parts go to the reference (libxml2 itself stops at 256) */
#define MAX_TOKEN (1 << 20)    /* a tag, comment or PI longer than this goes to the reference */
#define MAX_TEXT (1 << 20)     /* so does a text node longer than this */
#define MAX_FIELDS 100000      /* open complex fields */
#define MAX_ATTRS 128
#define MAX_BINDINGS 1024
#define MAX_URIS 256
#define MAX_NAME 1000
#define MAX_URI_LEN 4096       /* a longer namespace name goes to the reference: uris stay under 1 MiB */
/* Namespace work (bindings visited by prefix lookups, namespace names compared) allowed per byte fed, plus a
 * fixed allowance: lookups walk the bindings (up to MAX_BINDINGS), so a part of short tags with many prefixed
 * attributes declared far up could cost ~1000 steps a byte, 10x lxml's time. Past the budget the part goes to
 * the reference. Word's own parts use a few steps a byte. */
#define NS_WORK_PER_BYTE 16
#define NS_WORK_ALLOWANCE (1LL << 20)
#define NAME_ARENA (MAX_DEPTH * 64)

/* categories: COUNTED then REPORTED, as in wordcount.py */
enum { CAT_BODY, CAT_TABLES, CAT_FOOTNOTES, CAT_ENDNOTES, CAT_TEXTBOXES, CAT_HEADERS, CAT_COMMENTS, CAT_LABELS,
       CAT_DELETED, NCAT };
#define NCOUNTED 5
#define NCOLOURS 5

/* namespaces the rules look at */
enum { NS_OTHER, NS_W_T, NS_W_S, NS_MC, NS_M_T, NS_M_S, NS_R_T, NS_R_S, NS_XML, NS_NONE };

static const char *KNOWN_URIS[] = {
    NULL,
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "http://purl.oclc.org/ooxml/wordprocessingml/main",
    "http://schemas.openxmlformats.org/markup-compatibility/2006",
    "http://schemas.openxmlformats.org/officeDocument/2006/math",
    "http://purl.oclc.org/ooxml/officeDocument/math",
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
    "http://www.w3.org/XML/1998/namespace",
};

/* element codes (the walker's `code`: a local name of w:, mc:..., m:..., or None) */
enum {
    C_NONE, C_MC_OTHER, C_MC_ALT, C_MC_CHOICE, C_MC_FALLBACK, C_SKIP,
    C_P, C_PPR, C_PSTYLE, C_NUMPR, C_ILVL, C_NUMID, C_R, C_RPR, C_RSTYLE, C_VANISH, C_SPECVANISH, C_COLOR,
    C_T, C_DELTEXT, C_TAB, C_PTAB, C_BR, C_CR, C_NBHYPHEN, C_SYM, C_FLDCHAR, C_FOOTNOTEREF, C_ENDNOTEREF,
    C_TBL, C_TXBX, C_DEL, C_MOVEFROM, C_SECTPR, C_HEADERREF, C_FOOTERREF, C_FOOTNOTE, C_ENDNOTE, C_BODY,
};

static PyObject *Unsupported;
static PyObject *ABSENT;   /* a run property not given (the reference's key leaves it out) */
static PyObject *NO_LOOK;  /* the paragraph look before the paragraph is ready */
static PyObject *S_LIVE, *S_DELETED, *S_DEFAULT, *S_EMPTY;
static PyObject *S_paragraph, *S_label, *S_run, *S_sym;

static int unsupported(const char *why) {
    PyErr_SetString(Unsupported, why);
    return -1;
}

/* --- characters ------------------------------------------------------------------------------------- */

enum { K_INVISIBLE, K_SPACE, K_CJK, K_WORD };

static inline int classify(Py_UCS4 c) {
    if (c < 0x80) {
        return (c == ' ' || (c >= 9 && c <= 13) || (c >= 28 && c <= 31)) ? K_SPACE : K_WORD;
    }
    /* invisible: soft hyphen, zero-width, bidi marks, embeddings and isolates, BOM */
    if (c == 0xAD || c == 0x61C || (c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) || c == 0x2060
        || (c >= 0x2066 && c <= 0x2069) || c == 0xFEFF)
        return K_INVISIBLE;
    if ((c >= 0x1100 && c <= 0x11FF) || (c >= 0x2E80 && c <= 0x2FFF) || (c >= 0x3001 && c <= 0x303F)
        || (c >= 0x3040 && c <= 0x33FF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF)
        || (c >= 0xA960 && c <= 0xA97F) || (c >= 0xAC00 && c <= 0xD7FF) || (c >= 0xF900 && c <= 0xFAFF)
        || (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF01 && c <= 0xFFDC) || (c >= 0x20000 && c <= 0x3134F))
        return K_CJK;
    /* Python's str.isspace() beyond ASCII */
    if (c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029
        || c == 0x202F || c == 0x205F || c == 0x3000)
        return K_SPACE;
    return K_WORD;
}

/* Decode one UTF-8 character at p (n bytes available). Returns its length, 0 if more bytes are needed, -1 if
 * the bytes are not UTF-8 or not an XML character. */
static inline int utf8_char(const unsigned char *p, Py_ssize_t n, Py_UCS4 *out) {
    unsigned char c = p[0];
    if (c < 0x80) {
        if (c < 0x20 && c != 9 && c != 10 && c != 13) return -1;
        *out = c;
        return 1;
    }
    int len;
    Py_UCS4 cp;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3; cp = c & 0x0F;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    }
    else if (c >= 0xF0 && c <= 0xF4) {
        len = 4; cp = c & 0x07;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    }
    else return -1;
    if (n < len) {
        /* check what is there, so an invalid sequence is not mistaken for a short one */
        for (Py_ssize_t i = 1; i < n; i++) {
            unsigned char b = p[i];
            if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return -1;
        }
        return 0;
    }
    for (int i = 1; i < len; i++) {
        unsigned char b = p[i];
        if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return -1;
        cp = (cp << 6) | (b & 0x3F);
    }
    if (cp == 0xFFFE || cp == 0xFFFF) return -1;
    *out = cp;
    return len;
}

static inline int is_xml_char(Py_UCS4 c) {
    return c == 9 || c == 10 || c == 13 || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD)
           || (c >= 0x10000 && c <= 0x10FFFF);
}

static inline int is_space(unsigned char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }
static inline int name_start(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static inline int name_char(unsigned char c) {
    return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* --- Tally: the words of one sink, as wordcount.Tally counts them -------------------------------------- */

typedef struct {
    PyObject_HEAD
    long long counts[NCAT];
    long long colours[NCOLOURS];
    int in_word[2];             /* [0] deleted text, [1] live text */
    unsigned char saved[MAX_DEPTH][2];
    int nsaved;
} TallyObject;

/* The words of a piece of text, summarised: how many tokens it has on its own, whether it has any visible
 * character, and whether its first and last visible characters are word characters (that join). */
typedef struct {
    long long words;
    int nonempty, first_joins, in_word;
} Summary;

static inline void summary_reset(Summary *s) { s->words = 0; s->nonempty = 0; s->first_joins = 0; s->in_word = 0; }

static inline void summary_add(Summary *s, int kind) {
    if (kind == K_INVISIBLE) return;
    if (!s->nonempty) { s->nonempty = 1; s->first_joins = kind == K_WORD; }
    if (kind == K_WORD) {
        if (!s->in_word) { s->words++; s->in_word = 1; }
    } else {
        if (kind == K_CJK) s->words++;
        s->in_word = 0;
    }
}

static void tally_text(TallyObject *t, const Summary *s, int category, int colour, int live) {
    if (!s->nonempty) return;
    long long words = s->words;
    if (s->first_joins && t->in_word[live]) words--;
    t->in_word[live] = s->in_word;
    if (live) {
        t->counts[category] += words;
        if (category < NCOUNTED) t->colours[colour] += words;
    } else if (category < NCOUNTED) {
        t->counts[CAT_DELETED] += words;
    }
}

static PyObject *Tally_counts(TallyObject *self, PyObject *unused) {
    PyObject *result = PyTuple_New(NCAT);
    if (!result) return NULL;
    for (int i = 0; i < NCAT; i++) {
        PyObject *value = PyLong_FromLongLong(self->counts[i]);
        if (!value) { Py_DECREF(result); return NULL; }
        PyTuple_SET_ITEM(result, i, value);
    }
    return result;
}

static PyObject *Tally_colours(TallyObject *self, PyObject *unused) {
    PyObject *result = PyTuple_New(NCOLOURS);
    if (!result) return NULL;
    for (int i = 0; i < NCOLOURS; i++) {
        PyObject *value = PyLong_FromLongLong(self->colours[i]);
        if (!value) { Py_DECREF(result); return NULL; }
        PyTuple_SET_ITEM(result, i, value);
    }
    return result;
}

static PyMethodDef Tally_methods[] = {
    {"counts", (PyCFunction)Tally_counts, METH_NOARGS,
     "(body, tables, footnotes, endnotes, textboxes, headers_footers, comments, list_labels, deleted)"},
    {"colours", (PyCFunction)Tally_colours, METH_NOARGS, "(black, blue, green, red, other)"},
    {NULL}
};

static PyTypeObject TallyType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "portal.documents._fastcount.Tally",
    .tp_basicsize = sizeof(TallyObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Words counted by part and colour, with the in-word state carried from part to part.",
    .tp_methods = Tally_methods,
    .tp_new = PyType_GenericNew,
};

/* --- Scanner ---------------------------------------------------------------------------------------- */

typedef struct {
    const unsigned char *name; Py_ssize_t name_len;   /* qname */
    Py_ssize_t prefix_len;                            /* 0: no prefix */
    const unsigned char *value; Py_ssize_t value_len; /* raw, between the quotes */
    int uri;                                          /* resolved namespace (uri index), -1 none */
    int xmlns;                                        /* 1: xmlns="", 2: xmlns:p="" */
} Attr;

typedef struct {
    int code;
    Py_ssize_t name_at, name_len;  /* qname in the name arena */
    int nbindings;                 /* namespace bindings this element declared */
} Open;

typedef struct {
    int fields_base, in_code;
    PyObject *pstyle, *num_id, *ilvl, *look;  /* owned references, NULL = None (look: NULL = NO_LOOK) */
    int paragraph_ready, paragraph_hidden, paragraph_colour, run_hidden, run_colour;
} Saved;

enum { ST_START, ST_PROLOG, ST_CONTENT, ST_EPILOG };

typedef struct {
    PyObject_HEAD
    TallyObject *tally;
    PyObject *resolver, *note_refs, *sections;
    PyObject *para_cache, *label_cache, *run_cache;
    int fixed, label_category, note_kind, max_depth;
    int ready;                  /* __init__ completed */
    int busy;                   /* inside feed() or close(): a resolver calling back into them is refused */
    int stopped;                /* feed() or close() raised: the state is no longer consistent, refuse more */
    long long fed, ns_work;     /* bytes fed so far; namespace work done (see NS_WORK_PER_BYTE) */

    /* input */
    unsigned char *buf; Py_ssize_t len, cap;
    int state;
    Py_ssize_t text_run;        /* bytes of the current text node so far */

    /* XML structure */
    Open open[MAX_DEPTH + 1]; int depth;
    unsigned char names[NAME_ARENA]; Py_ssize_t names_len;
    struct { unsigned char prefix[64]; int prefix_len; int uri; } bindings[MAX_BINDINGS];
    int nbindings;
    unsigned char *uris[MAX_URIS]; Py_ssize_t uri_lens[MAX_URIS]; int nuris;
    int default_uri;            /* uri of the current default namespace, -1 none (tracked via bindings) */
    Attr attrs[MAX_ATTRS]; int nattrs;

    /* the walker's state */
    int wstack[MAX_DEPTH + 1]; int wdepth;
    int skip;
    int w_ns, r_ns;             /* the namespaces of w:val etc. and r:id, from the root element */
    int root_seen;
    long long in_table, in_textbox, in_deleted;
    unsigned char *fields; int nfields, fields_base, in_code;
    unsigned char alternate[MAX_DEPTH + 1]; int nalternate;
    int collect;                /* -1 not collecting, 0 deleted text, 1 live text */
    Summary text;
    Saved saved[MAX_DEPTH + 1]; int nsaved;
    PyObject *pstyle, *num_id, *ilvl, *look;
    int paragraph_ready, paragraph_hidden, paragraph_colour;
    int run_props;              /* collecting run properties */
    PyObject *props[6];         /* rStyle, vanish, color, themeColor, themeTint, themeShade: NULL absent */
    int run_hidden, run_colour;
    int note_deleted;
    PyObject *section;

    /* StyleScanner (styles.xml): the facts StyleSheet.parse keeps of each w:style and of w:docDefaults */
    int styles_mode;
    int done;                            /* close() succeeded: the part was read to its end */
    unsigned char role[MAX_DEPTH + 2];   /* what the open element at each depth is to the style reader */
    PyObject *st_styles;                 /* {styleId: record} (see style_end) */
    PyObject *st_defaults;               /* the last docDefaults' look slots; NULL: none seen */
    PyObject *st_default_paragraph;      /* NULL: none */
    PyObject *st_id, *st_kind, *st_based, *st_num_id, *st_ilvl;  /* the open style's; NULL = None */
    int st_is_default;                   /* the open style is a default paragraph style */
    int st_seen;                         /* ST_SEEN_* bits: the first child of each name is the one read */
    PyObject *st_look[5];                /* vanish, color, themeColor, themeTint, themeShade; NULL = absent */
} ScannerObject;

static void clear_props(ScannerObject *s) {
    for (int i = 0; i < 6; i++) Py_CLEAR(s->props[i]);
}

static void new_paragraph(ScannerObject *s) {
    Py_CLEAR(s->pstyle); Py_CLEAR(s->num_id); Py_CLEAR(s->ilvl); Py_CLEAR(s->look);
    s->paragraph_ready = 0;
    s->paragraph_hidden = 0;
    s->paragraph_colour = 0;
}

/* the known namespaces take the first uri slots, so a uri index below NS_NONE is its NS_ value */
static int init_uris(ScannerObject *s) {
    s->uris[0] = PyMem_Malloc(1);  /* slot 0: the empty uri (xmlns="") */
    if (!s->uris[0]) { PyErr_NoMemory(); return -1; }
    s->uri_lens[0] = 0;
    s->nuris = 1;
    for (int i = 1; i < NS_NONE; i++) {
        Py_ssize_t n = (Py_ssize_t)strlen(KNOWN_URIS[i]);
        s->uris[i] = PyMem_Malloc(n + 1);
        if (!s->uris[i]) { PyErr_NoMemory(); return -1; }
        memcpy(s->uris[i], KNOWN_URIS[i], n);
        s->uri_lens[i] = n;
        s->nuris = i + 1;
    }
    return 0;
}

/* What both scanners start with: the known namespaces, the tokenizer before the part's first byte, nothing
 * collected. */
static int init_tokenizer(ScannerObject *s, int max_depth) {
    if (init_uris(s)) return -1;
    s->max_depth = max_depth < MAX_DEPTH ? max_depth : MAX_DEPTH;
    s->state = ST_START;
    s->default_uri = -1;
    s->w_ns = NS_W_T; s->r_ns = NS_R_T;
    s->collect = -1;
    s->fields = NULL;
    summary_reset(&s->text);
    return 0;
}

static int Scanner_init(ScannerObject *s, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"tally", "resolver", "fixed", "label_category", "note_kind", "note_refs", "sections",
                             "max_depth", NULL};
    PyObject *tally, *resolver, *note_refs, *sections;
    int fixed, label_category, note_kind, max_depth;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!OiiiO!O!i", kwlist, &TallyType, &tally, &resolver, &fixed,
                                     &label_category, &note_kind, &PyDict_Type, &note_refs, &PyList_Type,
                                     &sections, &max_depth))
        return -1;
    if (s->tally || s->nuris) {
        PyErr_SetString(PyExc_RuntimeError, "a Scanner is initialised once");
        return -1;
    }
    /* categories index Tally's counts: out of range would write outside them */
    if (fixed < -1 || fixed >= NCAT || label_category < -1 || label_category >= NCAT || note_kind < 0
        || note_kind > 2) {
        PyErr_SetString(PyExc_ValueError, "category, label category or note kind out of range");
        return -1;
    }
    if (init_tokenizer(s, max_depth)) return -1;
    s->para_cache = PyDict_New(); s->label_cache = PyDict_New(); s->run_cache = PyDict_New();
    if (!s->para_cache || !s->label_cache || !s->run_cache) return -1;
    Py_INCREF(tally); s->tally = (TallyObject *)tally;
    Py_INCREF(resolver); s->resolver = resolver;
    Py_INCREF(note_refs); s->note_refs = note_refs;
    Py_INCREF(sections); s->sections = sections;
    s->fixed = fixed; s->label_category = label_category; s->note_kind = note_kind;
    s->ready = 1;
    return 0;
}

static void clear_style(ScannerObject *s) {
    Py_CLEAR(s->st_id); Py_CLEAR(s->st_kind); Py_CLEAR(s->st_based); Py_CLEAR(s->st_num_id); Py_CLEAR(s->st_ilvl);
    for (int i = 0; i < 5; i++) Py_CLEAR(s->st_look[i]);
    s->st_is_default = 0;
    s->st_seen = 0;
}

static void Scanner_dealloc(ScannerObject *s) {
    clear_style(s);
    Py_XDECREF(s->st_styles); Py_XDECREF(s->st_defaults); Py_XDECREF(s->st_default_paragraph);
    Py_XDECREF(s->tally); Py_XDECREF(s->resolver); Py_XDECREF(s->note_refs); Py_XDECREF(s->sections);
    Py_XDECREF(s->para_cache); Py_XDECREF(s->label_cache); Py_XDECREF(s->run_cache);
    Py_XDECREF(s->pstyle); Py_XDECREF(s->num_id); Py_XDECREF(s->ilvl); Py_XDECREF(s->look);
    Py_XDECREF(s->section);
    for (int i = 0; i < 6; i++) Py_XDECREF(s->props[i]);
    for (int i = 0; i < s->nsaved; i++) {
        Py_XDECREF(s->saved[i].pstyle); Py_XDECREF(s->saved[i].num_id); Py_XDECREF(s->saved[i].ilvl);
        Py_XDECREF(s->saved[i].look);
    }
    for (int i = 0; i < s->nuris; i++) PyMem_Free(s->uris[i]);
    PyMem_Free(s->buf);
    PyMem_Free(s->fields);
    Py_TYPE(s)->tp_free((PyObject *)s);
}

/* --- attribute values ------------------------------------------------------------------------------- */

/* Decode a reference at p ("&...;", n bytes available): its character, its length; 0 more needed, -1 bad. */
static int reference(const unsigned char *p, Py_ssize_t n, Py_UCS4 *out) {
    Py_ssize_t i = 1;
    if (n < 2) return 0;
    if (p[1] == '#') {
        int hex = 0;
        i = 2;
        if (i < n && p[i] == 'x') { hex = 1; i++; }
        Py_UCS4 value = 0;
        int digits = 0;
        for (;; i++) {
            if (i >= n) return digits > 8 ? -1 : 0;
            unsigned char c = p[i];
            int d;
            if (c >= '0' && c <= '9') d = c - '0';
            else if (hex && c >= 'a' && c <= 'f') d = c - 'a' + 10;
            else if (hex && c >= 'A' && c <= 'F') d = c - 'A' + 10;
            else if (c == ';') break;
            else return -1;
            if (++digits > 8) return -1;
            value = value * (hex ? 16 : 10) + d;
        }
        if (!digits || !is_xml_char(value)) return -1;
        *out = value;
        return (int)(i + 1);
    }
    static const struct { const char *name; Py_UCS4 c; } predefined[] = {
        {"lt;", '<'}, {"gt;", '>'}, {"amp;", '&'}, {"quot;", '"'}, {"apos;", '\''}};
    for (int k = 0; k < 5; k++) {
        Py_ssize_t m = (Py_ssize_t)strlen(predefined[k].name);
        Py_ssize_t have = n - 1 < m ? n - 1 : m;
        if (memcmp(p + 1, predefined[k].name, have) == 0) {
            if (have < m) return 0;
            *out = predefined[k].c;
            return (int)(m + 1);
        }
    }
    /* an unknown entity, or a short prefix of nothing known: let more bytes decide only if it could be one */
    for (i = 1; i < n && i < 8; i++) {
        if (p[i] == ';' || !name_char(p[i])) return -1;
    }
    return i >= 8 ? -1 : 0;
}

/* Check an attribute value (raw, between quotes): XML characters, no '<', references well formed. */
static int check_value(const unsigned char *v, Py_ssize_t n) {
    Py_ssize_t i = 0;
    while (i < n) {
        unsigned char c = v[i];
        if (c >= 0x20 && c < 0x80 && c != '<' && c != '&') { i++; continue; }
        if (c == '<') return unsupported("'<' in an attribute value");
        if (c == '&') {
            Py_UCS4 ch;
            int k = reference(v + i, n - i, &ch);
            if (k <= 0) return unsupported("an unknown or broken reference in an attribute value");
            i += k;
            continue;
        }
        Py_UCS4 ch;
        int k = utf8_char(v + i, n - i, &ch);
        if (k <= 0) return unsupported("a character that is not UTF-8 or not allowed in XML");
        i += k;
    }
    return 0;
}

/* The value of an attribute as the parser gives it: references replaced, line ends and tabs normalised. */
static PyObject *attr_value(const Attr *a) {
    const unsigned char *v = a->value;
    Py_ssize_t n = a->value_len, i;
    int plain = 1;
    for (i = 0; i < n; i++) {
        if (v[i] == '&' || v[i] == '\t' || v[i] == '\n' || v[i] == '\r') { plain = 0; break; }
    }
    if (plain) return PyUnicode_DecodeUTF8((const char *)v, n, "strict");
    unsigned char *out = PyMem_Malloc(n * 4 + 1);
    if (!out) return PyErr_NoMemory();
    Py_ssize_t o = 0;
    for (i = 0; i < n;) {
        unsigned char c = v[i];
        if (c == '&') {
            Py_UCS4 ch;
            int k = reference(v + i, n - i, &ch);
            i += k;  /* checked already */
            if (ch < 0x80) out[o++] = (unsigned char)ch;
            else if (ch < 0x800) { out[o++] = 0xC0 | (ch >> 6); out[o++] = 0x80 | (ch & 0x3F); }
            else if (ch < 0x10000) {
                out[o++] = 0xE0 | (ch >> 12); out[o++] = 0x80 | ((ch >> 6) & 0x3F); out[o++] = 0x80 | (ch & 0x3F);
            } else {
                out[o++] = 0xF0 | (ch >> 18); out[o++] = 0x80 | ((ch >> 12) & 0x3F);
                out[o++] = 0x80 | ((ch >> 6) & 0x3F); out[o++] = 0x80 | (ch & 0x3F);
            }
        } else if (c == '\r') {
            out[o++] = ' ';
            i += (i + 1 < n && v[i + 1] == '\n') ? 2 : 1;
        } else {
            out[o++] = (c == '\t' || c == '\n') ? ' ' : c;
            i++;
        }
    }
    PyObject *result = PyUnicode_DecodeUTF8((const char *)out, o, "strict");
    PyMem_Free(out);
    return result;
}

/* The attribute {ns}local of the current element, or NULL. */
static const Attr *find_attr(ScannerObject *s, int ns, const char *local) {
    Py_ssize_t m = (Py_ssize_t)strlen(local);
    for (int i = 0; i < s->nattrs; i++) {
        const Attr *a = &s->attrs[i];
        if (a->xmlns) continue;
        Py_ssize_t start = a->prefix_len ? a->prefix_len + 1 : 0;
        if (a->name_len - start == m && memcmp(a->name + start, local, m) == 0
            && (ns == NS_NONE ? a->uri < 0 : a->uri == ns))
            return a;
    }
    return NULL;
}

/* attrib.get({ns}local): a new reference to its value, or NULL with no error set when absent. */
static PyObject *get_attr(ScannerObject *s, int ns, const char *local, int *error) {
    const Attr *a = find_attr(s, ns, local);
    *error = 0;
    if (!a) return NULL;
    PyObject *value = attr_value(a);
    if (!value) *error = 1;
    return value;
}

static int attr_equals(ScannerObject *s, int ns, const char *local, const char *expected) {
    const Attr *a = find_attr(s, ns, local);
    if (!a) return 0;
    Py_ssize_t m = (Py_ssize_t)strlen(expected);
    if (a->value_len == m && memcmp(a->value, expected, m) == 0) return 1;
    for (Py_ssize_t i = 0; i < a->value_len; i++) {  /* references or line ends: compare the decoded value */
        unsigned char c = a->value[i];
        if (c == '&' || c == '\t' || c == '\n' || c == '\r') {
            PyObject *value = attr_value(a);
            if (!value) return -1;
            int equal = PyUnicode_CompareWithASCIIString(value, expected) == 0;
            Py_DECREF(value);
            return equal;
        }
    }
    return 0;
}

/* --- the rules (PartWalker, handler by handler) ------------------------------------------------------ */

static inline int parent(ScannerObject *s, int depth) {
    return s->wdepth >= depth ? s->wstack[s->wdepth - depth] : -1;
}

static inline int is_mc(int code) { return code >= C_MC_OTHER && code <= C_MC_FALLBACK; }

static int in_run(ScannerObject *s) {
    int depth = 2;
    while (depth <= s->wdepth && is_mc(s->wstack[s->wdepth - depth])) depth++;
    return depth <= s->wdepth && s->wstack[s->wdepth - depth] == C_R;
}

static inline int category(ScannerObject *s) {
    if (s->fixed >= 0) return s->fixed;
    return s->in_textbox ? CAT_TEXTBOXES : s->in_table ? CAT_TABLES : CAT_BODY;
}

static void emit(ScannerObject *s, const Summary *text, int live) {
    if (!s->in_code && !s->run_hidden) tally_text(s->tally, text, category(s), s->run_colour, live);
}

static inline void skip_this(ScannerObject *s) {
    s->wdepth--;
    s->skip = 1;
}

static PyObject *or_none(PyObject *o) { return o ? o : Py_None; }

/* (hidden, colour) from a resolver answer */
static int unpack_look(PyObject *answer, int *hidden, int *colour) {
    if (!PyTuple_Check(answer) || PyTuple_GET_SIZE(answer) != 2) {
        PyErr_SetString(PyExc_TypeError, "the resolver answers (hidden, colour)");
        return -1;
    }
    *hidden = PyObject_IsTrue(PyTuple_GET_ITEM(answer, 0));
    long c = PyLong_AsLong(PyTuple_GET_ITEM(answer, 1));
    if (*hidden < 0 || (c == -1 && PyErr_Occurred())) return -1;
    if (c < 0 || c >= NCOLOURS) {
        PyErr_SetString(PyExc_ValueError, "colour index out of range");
        return -1;
    }
    *colour = (int)c;
    return 0;
}

static int paragraph_ready(ScannerObject *s) {
    s->paragraph_ready = 1;
    PyObject *key = or_none(s->pstyle);
    Py_INCREF(key);
    Py_XSETREF(s->look, key);
    /* answers are held (not borrowed from the caches) while Python code may run */
    PyObject *answer = PyDict_GetItemWithError(s->para_cache, key);
    if (answer) Py_INCREF(answer);
    else {
        if (PyErr_Occurred()) return -1;
        answer = PyObject_CallMethodOneArg(s->resolver, S_paragraph, key);
        if (!answer) return -1;
        if (PyDict_SetItem(s->para_cache, key, answer)) { Py_DECREF(answer); return -1; }
    }
    int failed = unpack_look(answer, &s->paragraph_hidden, &s->paragraph_colour);
    Py_DECREF(answer);
    if (failed) return -1;
    if (s->label_category >= 0 && !s->in_deleted) {
        PyObject *label_key = PyTuple_Pack(3, or_none(s->pstyle), or_none(s->num_id), or_none(s->ilvl));
        if (!label_key) return -1;
        PyObject *words = PyDict_GetItemWithError(s->label_cache, label_key);
        if (words) Py_INCREF(words);
        else {
            if (PyErr_Occurred()) { Py_DECREF(label_key); return -1; }
            words = PyObject_CallMethodObjArgs(s->resolver, S_label, or_none(s->pstyle), or_none(s->num_id),
                                               or_none(s->ilvl), NULL);
            if (!words || PyDict_SetItem(s->label_cache, label_key, words)) {
                Py_XDECREF(words); Py_DECREF(label_key);
                return -1;
            }
        }
        Py_DECREF(label_key);
        long long n = PyLong_AsLongLong(words);
        Py_DECREF(words);
        if (n == -1 && PyErr_Occurred()) return -1;
        if (n < 0 || n > (1LL << 40)) {
            PyErr_SetString(PyExc_ValueError, "a list label's word count out of range");
            return -1;
        }
        s->tally->counts[s->label_category] += n;
    }
    return 0;
}

static int end_rpr(ScannerObject *s) {
    if (!s->run_props || s->wdepth < 1 || s->wstack[s->wdepth - 1] != C_R) return 0;
    PyObject *key = PyTuple_New(7);
    if (!key) return -1;
    PyObject *pstyle = or_none(s->pstyle);
    Py_INCREF(pstyle);
    PyTuple_SET_ITEM(key, 0, pstyle);
    for (int i = 0; i < 6; i++) {
        PyObject *v = s->props[i] ? s->props[i] : ABSENT;
        Py_INCREF(v);
        PyTuple_SET_ITEM(key, i + 1, v);
    }
    PyObject *answer = PyDict_GetItemWithError(s->run_cache, key);
    if (answer) Py_INCREF(answer);
    else {
        if (PyErr_Occurred()) { Py_DECREF(key); return -1; }
        answer = PyObject_CallMethodObjArgs(s->resolver, S_run, s->look ? s->look : NO_LOOK, key, NULL);
        if (!answer || PyDict_SetItem(s->run_cache, key, answer)) {
            Py_XDECREF(answer); Py_DECREF(key);
            return -1;
        }
    }
    Py_DECREF(key);
    int failed = unpack_look(answer, &s->run_hidden, &s->run_colour);
    Py_DECREF(answer);
    if (failed) return -1;
    s->run_props = 0;
    clear_props(s);
    return 0;
}

static int set_prop(ScannerObject *s, int slot, int ns, const char *local, int only_if_present) {
    const Attr *a = find_attr(s, ns, local);
    if (!a && only_if_present) return 0;
    PyObject *value = a ? attr_value(a) : (Py_INCREF(Py_None), Py_None);
    if (!value) return -1;
    Py_XSETREF(s->props[slot], value);
    return 0;
}

static int note_key_kind(int code) { return code == C_FOOTNOTE || code == C_FOOTNOTEREF ? 1 : 2; }

static PyObject *note_key(ScannerObject *s, int kind) {
    int error;
    PyObject *id = get_attr(s, s->w_ns, "id", &error);
    if (error) return NULL;
    PyObject *key = PyUnicode_FromFormat("%s:%S", kind == 1 ? "footnote" : "endnote", or_none(id));
    Py_XDECREF(id);
    return key;
}

static int start_element(ScannerObject *s, int code) {
    if (s->skip) {
        s->skip++;
        return 0;
    }
    if (code == C_SKIP) {
        s->skip = 1;
        return 0;
    }
    s->wstack[s->wdepth++] = code;
    int error;
    switch (code) {
    case C_P:
        new_paragraph(s);
        break;
    case C_PSTYLE:
        if (parent(s, 2) == C_PPR) {
            PyObject *v = get_attr(s, s->w_ns, "val", &error);
            if (error) return -1;
            Py_XSETREF(s->pstyle, v);
        }
        break;
    case C_ILVL:
    case C_NUMID:
        if (parent(s, 2) == C_NUMPR && parent(s, 3) == C_PPR) {
            PyObject *v = get_attr(s, s->w_ns, "val", &error);
            if (error) return -1;
            if (code == C_NUMID) Py_XSETREF(s->num_id, v);
            else Py_XSETREF(s->ilvl, v);
        }
        break;
    case C_R:
        if (!s->paragraph_ready && paragraph_ready(s)) return -1;
        s->run_props = 0;
        clear_props(s);
        s->run_hidden = s->paragraph_hidden;
        s->run_colour = s->paragraph_colour;
        break;
    case C_RPR:
        if (parent(s, 2) == C_R) {
            s->run_props = 1;
            clear_props(s);
        }
        break;
    case C_RSTYLE:
    case C_VANISH:
    case C_SPECVANISH:
    case C_COLOR:
        if (!s->run_props || parent(s, 2) != C_RPR || parent(s, 3) != C_R) break;
        if (code == C_RSTYLE) { if (set_prop(s, 0, s->w_ns, "val", 0)) return -1; }
        else if (code != C_COLOR) { if (set_prop(s, 1, s->w_ns, "val", 0)) return -1; }
        else if (set_prop(s, 2, s->w_ns, "val", 0) || set_prop(s, 3, s->w_ns, "themeColor", 1)
                 || set_prop(s, 4, s->w_ns, "themeTint", 1) || set_prop(s, 5, s->w_ns, "themeShade", 1))
            return -1;
        break;
    case C_T:
        if (in_run(s)) {
            s->collect = !s->in_deleted;
            summary_reset(&s->text);
        }
        break;
    case C_DELTEXT:
        if (in_run(s)) {
            s->collect = 0;
            summary_reset(&s->text);
        }
        break;
    case C_TAB: case C_PTAB: case C_BR: case C_CR:
        if (in_run(s) && !s->in_code && !s->run_hidden) s->tally->in_word[!s->in_deleted] = 0;
        break;
    case C_NBHYPHEN:
        if (in_run(s)) {
            Summary one;
            summary_reset(&one);
            summary_add(&one, K_WORD);
            emit(s, &one, !s->in_deleted);
        }
        break;
    case C_SYM:
        if (in_run(s)) {
            PyObject *v = get_attr(s, s->w_ns, "char", &error);
            if (error) return -1;
            PyObject *answer = PyObject_CallMethodOneArg(s->resolver, S_sym, v ? v : S_EMPTY);
            Py_XDECREF(v);
            if (!answer) return -1;
            long cp = PyLong_AsLong(answer);
            Py_DECREF(answer);
            if (cp == -1 && PyErr_Occurred()) return -1;
            Summary one;
            summary_reset(&one);
            summary_add(&one, classify((Py_UCS4)cp));
            emit(s, &one, !s->in_deleted);
        }
        break;
    case C_FLDCHAR: {
        int begin = attr_equals(s, s->w_ns, "fldCharType", "begin");
        int separate = begin ? 0 : attr_equals(s, s->w_ns, "fldCharType", "separate");
        int end = begin || separate ? 0 : attr_equals(s, s->w_ns, "fldCharType", "end");
        if (begin < 0 || separate < 0 || end < 0) return -1;
        if (begin) {
            if (s->nfields >= MAX_FIELDS) return unsupported("too many open fields");
            if (!s->fields) {
                s->fields = PyMem_Malloc(MAX_FIELDS);
                if (!s->fields) { PyErr_NoMemory(); return -1; }
            }
            s->fields[s->nfields++] = 1;
            s->in_code++;
        } else if (separate) {
            if (s->nfields > s->fields_base && s->fields[s->nfields - 1]) {
                s->fields[s->nfields - 1] = 0;
                s->in_code--;
            }
        } else if (end && s->nfields > s->fields_base) {
            if (s->fields[--s->nfields]) s->in_code--;
        }
        break;
    }
    case C_FOOTNOTEREF:
    case C_ENDNOTEREF: {
        PyObject *key = note_key(s, note_key_kind(code));
        if (!key) return -1;
        PyObject *state = PyDict_GetItemWithError(s->note_refs, key);
        if (!state && PyErr_Occurred()) { Py_DECREF(key); return -1; }
        /* exact str only: a subclass's comparison could run Python code while `state` is borrowed */
        int live = state && PyUnicode_CheckExact(state) && PyUnicode_CompareWithASCIIString(state, "live") == 0;
        if (!live && PyDict_SetItem(s->note_refs, key, s->in_deleted ? S_DELETED : S_LIVE)) {
            Py_DECREF(key);
            return -1;
        }
        Py_DECREF(key);
        break;
    }
    case C_FOOTNOTE:
    case C_ENDNOTE: {
        if (s->note_kind != note_key_kind(code)) break;
        PyObject *key = note_key(s, s->note_kind);
        if (!key) return -1;
        PyObject *state = PyDict_GetItemWithError(s->note_refs, key);
        Py_DECREF(key);
        if (!state && PyErr_Occurred()) return -1;
        int separator = 0;
        static const char *separators[] = {"separator", "continuationSeparator", "continuationNotice"};
        for (int k = 0; k < 3 && !separator; k++) {
            separator = attr_equals(s, s->w_ns, "type", separators[k]);
            if (separator < 0) return -1;
        }
        if (separator || !state) skip_this(s);
        else if (PyUnicode_CheckExact(state) && PyUnicode_CompareWithASCIIString(state, "deleted") == 0) {
            s->in_deleted++;
            s->note_deleted = 1;
        }
        break;
    }
    case C_DEL: case C_MOVEFROM:
        s->in_deleted++;
        break;
    case C_TBL:
        s->in_table++;
        break;
    case C_TXBX: {
        if (s->nsaved > MAX_DEPTH) return unsupported("text boxes nested too deeply");
        Saved *saved = &s->saved[s->nsaved++];
        saved->fields_base = s->fields_base; saved->in_code = s->in_code;
        saved->pstyle = s->pstyle; saved->num_id = s->num_id; saved->ilvl = s->ilvl; saved->look = s->look;
        s->pstyle = s->num_id = s->ilvl = s->look = NULL;  /* references moved to the saved state */
        saved->paragraph_ready = s->paragraph_ready; saved->paragraph_hidden = s->paragraph_hidden;
        saved->paragraph_colour = s->paragraph_colour; saved->run_hidden = s->run_hidden;
        saved->run_colour = s->run_colour;
        s->fields_base = s->nfields;
        s->in_code = 0;
        new_paragraph(s);
        s->in_textbox++;
        TallyObject *t = s->tally;
        if (t->nsaved >= MAX_DEPTH) return unsupported("text boxes nested too deeply");
        t->saved[t->nsaved][0] = (unsigned char)t->in_word[1];
        t->saved[t->nsaved][1] = (unsigned char)t->in_word[0];
        t->nsaved++;
        t->in_word[0] = t->in_word[1] = 0;
        break;
    }
    case C_MC_ALT:
        s->alternate[s->nalternate++] = 0;
        break;
    case C_MC_CHOICE: {
        int understood = 1;
        const Attr *a = find_attr(s, NS_NONE, "Requires");
        if (a) {
            PyObject *value = attr_value(a);
            if (!value) return -1;
            if (!PyUnicode_IS_ASCII(value)) {
                Py_DECREF(value);
                return unsupported("a non-ASCII Requires");
            }
            const char *p = (const char *)PyUnicode_DATA(value);
            Py_ssize_t n = PyUnicode_GET_LENGTH(value), i = 0;
            static const char *known[] = {"w", "w10", "w14", "w15", "wp14", "wps", "wpg", "wpc", "wpi", "a14", "v",
                                          "o", "m", "wne"};
            while (i < n && understood) {
                while (i < n && (p[i] == ' ' || (p[i] >= 9 && p[i] <= 13) || (p[i] >= 28 && p[i] <= 31))) i++;
                Py_ssize_t start = i;
                while (i < n && !(p[i] == ' ' || (p[i] >= 9 && p[i] <= 13) || (p[i] >= 28 && p[i] <= 31))) i++;
                if (i == start) break;
                int found = 0;
                for (int k = 0; k < 14 && !found; k++)
                    found = (Py_ssize_t)strlen(known[k]) == i - start && memcmp(known[k], p + start, i - start) == 0;
                understood = found;
            }
            Py_DECREF(value);
        }
        if (!s->nalternate || s->alternate[s->nalternate - 1] || !understood) skip_this(s);
        else s->alternate[s->nalternate - 1] = 1;
        break;
    }
    case C_MC_FALLBACK:
        if (!s->nalternate || s->alternate[s->nalternate - 1]) skip_this(s);
        else s->alternate[s->nalternate - 1] = 1;
        break;
    case C_SECTPR: {
        int up = parent(s, 2);
        if (up == C_PPR || up == C_BODY) {
            PyObject *section = PyDict_New();
            if (!section) return -1;
            if (PyList_Append(s->sections, section)) { Py_DECREF(section); return -1; }
            Py_XSETREF(s->section, section);
        }
        break;
    }
    case C_HEADERREF:
    case C_FOOTERREF:
        if (s->section && parent(s, 2) == C_SECTPR) {
            PyObject *type = get_attr(s, s->w_ns, "type", &error);
            if (error) return -1;
            PyObject *rid = get_attr(s, s->r_ns, "id", &error);
            if (error) { Py_XDECREF(type); return -1; }
            PyObject *key = PyUnicode_FromFormat("%s:%S", code == C_HEADERREF ? "headerReference" : "footerReference",
                                                 type ? type : S_DEFAULT);
            int failed = !key || PyDict_SetItem(s->section, key, rid ? rid : S_EMPTY);
            Py_XDECREF(key); Py_XDECREF(type); Py_XDECREF(rid);
            if (failed) return -1;
        }
        break;
    }
    return 0;
}

static int end_element(ScannerObject *s) {
    if (s->skip) {
        s->skip--;
        return 0;
    }
    int code = s->wstack[--s->wdepth];
    switch (code) {
    case C_P:
        if (!s->paragraph_ready && paragraph_ready(s)) return -1;
        s->tally->in_word[0] = s->tally->in_word[1] = 0;
        new_paragraph(s);
        break;
    case C_PPR:
        if (s->wdepth && s->wstack[s->wdepth - 1] == C_P) return paragraph_ready(s);
        break;
    case C_RPR:
        return end_rpr(s);
    case C_T:
    case C_DELTEXT:
        if (s->collect >= 0) {
            int live = s->collect;
            s->collect = -1;
            emit(s, &s->text, live);
            summary_reset(&s->text);
        }
        break;
    case C_TBL:
        s->in_table--;
        break;
    case C_TXBX: {
        s->in_textbox--;
        TallyObject *t = s->tally;
        if (t->nsaved) {
            t->nsaved--;
            t->in_word[1] = t->saved[t->nsaved][0];
            t->in_word[0] = t->saved[t->nsaved][1];
        } else {
            t->in_word[0] = t->in_word[1] = 0;
        }
        if (s->nsaved) {
            Saved *saved = &s->saved[--s->nsaved];
            s->nfields = s->fields_base;
            s->fields_base = saved->fields_base; s->in_code = saved->in_code;
            Py_XSETREF(s->pstyle, saved->pstyle); Py_XSETREF(s->num_id, saved->num_id);
            Py_XSETREF(s->ilvl, saved->ilvl); Py_XSETREF(s->look, saved->look);
            s->paragraph_ready = saved->paragraph_ready; s->paragraph_hidden = saved->paragraph_hidden;
            s->paragraph_colour = saved->paragraph_colour; s->run_hidden = saved->run_hidden;
            s->run_colour = saved->run_colour;
        }
        break;
    }
    case C_DEL: case C_MOVEFROM:
        s->in_deleted--;
        break;
    case C_MC_ALT:
        if (s->nalternate) s->nalternate--;
        break;
    case C_SECTPR:
        Py_CLEAR(s->section);
        break;
    case C_FOOTNOTE: case C_ENDNOTE:
        if (s->note_deleted) {
            s->in_deleted--;
            s->note_deleted = 0;
        }
        break;
    }
    return 0;
}

/* --- names and namespaces ---------------------------------------------------------------------------- */

#define IS(lit) (n == (Py_ssize_t)sizeof(lit) - 1 && memcmp(p, lit, n) == 0)

static int w_code(const unsigned char *p, Py_ssize_t n) {
    switch (n) {
    case 1: return p[0] == 'p' ? C_P : p[0] == 'r' ? C_R : p[0] == 't' ? C_T : C_NONE;
    case 2: return IS("br") ? C_BR : IS("cr") ? C_CR : IS("rt") ? C_SKIP : C_NONE;
    case 3: return IS("pPr") ? C_PPR : IS("rPr") ? C_RPR : IS("tab") ? C_TAB : IS("sym") ? C_SYM
                   : IS("tbl") ? C_TBL : IS("del") ? C_DEL : C_NONE;
    case 4: return IS("ptab") ? C_PTAB : IS("body") ? C_BODY : IS("ilvl") ? C_ILVL : C_NONE;
    case 5: return IS("numId") ? C_NUMID : IS("numPr") ? C_NUMPR : IS("color") ? C_COLOR : IS("sdtPr") ? C_SKIP
                   : C_NONE;
    case 6: return IS("rStyle") ? C_RSTYLE : IS("vanish") ? C_VANISH : IS("pStyle") ? C_PSTYLE
                   : IS("sectPr") ? C_SECTPR : C_NONE;
    case 7: return IS("delText") ? C_DELTEXT : IS("fldChar") ? C_FLDCHAR : IS("endnote") ? C_ENDNOTE : C_NONE;
    case 8: return IS("footnote") ? C_FOOTNOTE : IS("moveFrom") ? C_MOVEFROM : IS("sdtEndPr") ? C_SKIP : C_NONE;
    case 9: return IS("instrText") || IS("rPrChange") || IS("pPrChange") ? C_SKIP : C_NONE;
    case 10: return IS("specVanish") ? C_SPECVANISH : IS("trPrChange") || IS("tcPrChange") ? C_SKIP : C_NONE;
    case 11: return IS("txbxContent") ? C_TXBX : IS("tblPrChange") ? C_SKIP : C_NONE;
    case 12: return IS("sectPrChange") || IS("delInstrText") ? C_SKIP : C_NONE;
    case 13: return IS("noBreakHyphen") ? C_NBHYPHEN : IS("tblGridChange") ? C_SKIP : C_NONE;
    case 15: return IS("headerReference") ? C_HEADERREF : IS("footerReference") ? C_FOOTERREF
                    : IS("numberingChange") ? C_SKIP : C_NONE;
    case 16: return IS("endnoteReference") ? C_ENDNOTEREF : C_NONE;
    case 17: return IS("footnoteReference") ? C_FOOTNOTEREF : C_NONE;
    }
    return C_NONE;
}

static int element_code(int uri, const unsigned char *p, Py_ssize_t n) {
    if (uri == NS_W_T || uri == NS_W_S) return w_code(p, n);
    if (uri == NS_MC) return IS("AlternateContent") ? C_MC_ALT : IS("Choice") ? C_MC_CHOICE
                             : IS("Fallback") ? C_MC_FALLBACK : C_MC_OTHER;
    if (uri == NS_M_T || uri == NS_M_S) return IS("oMath") || IS("oMathPara") ? C_SKIP : C_NONE;
    return C_NONE;
}

/* The uri bound to a prefix (length 0: the default namespace). -1 if unbound, -2 on an error. */
static int lookup_prefix(ScannerObject *s, const unsigned char *prefix, Py_ssize_t n) {
    if (n == 0) return s->default_uri;
    if (n == 3 && memcmp(prefix, "xml", 3) == 0) return NS_XML;
    for (int i = s->nbindings - 1; i >= 0; i--) {
        s->ns_work++;
        if (s->bindings[i].prefix_len == n && memcmp(s->bindings[i].prefix, prefix, n) == 0)
            return s->bindings[i].uri;
    }
    return -1;
}

static int intern_uri(ScannerObject *s, const unsigned char *v, Py_ssize_t n) {
    for (int i = 0; i < s->nuris; i++) {
        s->ns_work++;
        if (s->uri_lens[i] != n) continue;
        s->ns_work += n / 64;
        if (memcmp(s->uris[i], v, n) == 0) return i;
    }
    if (s->nuris >= MAX_URIS) return unsupported("too many namespaces"), -2;
    s->uris[s->nuris] = PyMem_Malloc(n + 1);
    if (!s->uris[s->nuris]) return PyErr_NoMemory(), -2;
    memcpy(s->uris[s->nuris], v, n);
    s->uri_lens[s->nuris] = n;
    return s->nuris++;
}

/* Parse a qname at p: its length, 0 if not a name, -1 if the buffer ends inside it; the prefix length in
 * *prefix (0: none). */
static Py_ssize_t qname(const unsigned char *p, Py_ssize_t n, Py_ssize_t *prefix) {
    Py_ssize_t i = 0;
    *prefix = 0;
    if (i >= n) return -1;
    if (!name_start(p[i])) return 0;
    while (i < n && name_char(p[i])) i++;
    if (i >= n) return -1;
    if (p[i] == ':') {
        *prefix = i;
        i++;
        if (i >= n) return -1;
        if (!name_start(p[i])) return 0;
        while (i < n && name_char(p[i])) i++;
        if (i >= n) return -1;
    }
    return i;
}


/* --- styles.xml (StyleScanner) ----------------------------------------------------------------------- */

/* StyleSheet.parse, fact by fact: the root's children named style or docDefaults (local names, in any
 * namespace or none); of a style, its w:styleId, w:type and w:default, the first basedOn child's w:val, the
 * first pPr child's first numPr child's first numId and ilvl children's w:val, and the first rPr child's look;
 * of docDefaults, the look of the first rPr child of its first rPrDefault child (the last docDefaults wins). A
 * look: every child of that rPr in order, vanish and specVanish setting the hidden slot to their w:val (None
 * without one), color setting the colour slot to its w:val (None without one) and each theme slot it has. "w:"
 * attributes are read as styles._wval reads them: the transitional namespace, else the strict one. */
enum { R_IGNORE, R_ROOT, R_STYLE, R_DOCDEF, R_PPR, R_NUMPR, R_LOOK, R_RPRDEFAULT };
enum { SEEN_BASED = 1, SEEN_PPR = 2, SEEN_NUMPR = 4, SEEN_NUMID = 8, SEEN_ILVL = 16, SEEN_RPR = 32,
       SEEN_RPRDEFAULT = 64 };

/* styles._wval: a new reference, NULL when absent (*error set on a failure) */
static PyObject *wval(ScannerObject *s, const char *local, int *error) {
    PyObject *v = get_attr(s, NS_W_T, local, error);
    if (v || *error) return v;
    return get_attr(s, NS_W_S, local, error);
}

/* slot = wval(local), or None without one (always set); only_if_present: leave the slot alone without one */
static int set_slot(ScannerObject *s, PyObject **slot, const char *local, int only_if_present) {
    int error;
    PyObject *v = wval(s, local, &error);
    if (error) return -1;
    if (!v) {
        if (only_if_present) return 0;
        v = Py_None;
        Py_INCREF(v);
    }
    Py_XSETREF(*slot, v);
    return 0;
}

static int first(ScannerObject *s, int bit) {
    if (s->st_seen & bit) return 0;
    s->st_seen |= bit;
    return 1;
}

static int style_start(ScannerObject *s, const unsigned char *p, Py_ssize_t n) {
    int d = s->depth;  /* the element just opened, 1 = the root */
    int up = d >= 2 ? s->role[d - 1] : -1, role = R_IGNORE;
    if (d < 1 || d > MAX_DEPTH + 1) return unsupported("nesting deeper than this scanner keeps");
    if (d == 1) role = R_ROOT;
    else if (up == R_ROOT) {
        if (IS("style")) {
            role = R_STYLE;
            clear_style(s);
            if (set_slot(s, &s->st_id, "styleId", 1) || set_slot(s, &s->st_kind, "type", 1)) return -1;
            /* `or ""`, `or "paragraph"` */
            if (!s->st_id || PyUnicode_GET_LENGTH(s->st_id) == 0) { Py_INCREF(S_EMPTY); Py_XSETREF(s->st_id, S_EMPTY); }
            if (!s->st_kind || PyUnicode_GET_LENGTH(s->st_kind) == 0) {
                Py_INCREF(S_paragraph);
                Py_XSETREF(s->st_kind, S_paragraph);
            }
            if (PyUnicode_CompareWithASCIIString(s->st_kind, "paragraph") == 0) {
                int error;
                PyObject *v = wval(s, "default", &error);
                if (error) return -1;
                if (v) {
                    s->st_is_default = PyUnicode_CompareWithASCIIString(v, "1") == 0
                                       || PyUnicode_CompareWithASCIIString(v, "true") == 0
                                       || PyUnicode_CompareWithASCIIString(v, "on") == 0;
                    Py_DECREF(v);
                }
            }
        } else if (IS("docDefaults")) {
            role = R_DOCDEF;
            clear_style(s);
        }
    } else if (up == R_STYLE) {
        if (IS("basedOn")) {
            if (first(s, SEEN_BASED) && set_slot(s, &s->st_based, "val", 1)) return -1;
        } else if (IS("pPr")) {
            if (first(s, SEEN_PPR)) role = R_PPR;
        } else if (IS("rPr")) {
            if (first(s, SEEN_RPR)) role = R_LOOK;
        }
    } else if (up == R_PPR) {
        if (IS("numPr") && first(s, SEEN_NUMPR)) role = R_NUMPR;
    } else if (up == R_NUMPR) {
        if (IS("numId")) {
            if (first(s, SEEN_NUMID) && set_slot(s, &s->st_num_id, "val", 1)) return -1;
        } else if (IS("ilvl")) {
            if (first(s, SEEN_ILVL) && set_slot(s, &s->st_ilvl, "val", 1)) return -1;
        }
    } else if (up == R_DOCDEF) {
        if (IS("rPrDefault") && first(s, SEEN_RPRDEFAULT)) role = R_RPRDEFAULT;
    } else if (up == R_RPRDEFAULT) {
        if (IS("rPr") && first(s, SEEN_RPR)) role = R_LOOK;
    } else if (up == R_LOOK) {
        if (IS("vanish") || IS("specVanish")) {
            if (set_slot(s, &s->st_look[0], "val", 0)) return -1;
        } else if (IS("color")) {
            if (set_slot(s, &s->st_look[1], "val", 0) || set_slot(s, &s->st_look[2], "themeColor", 1)
                || set_slot(s, &s->st_look[3], "themeTint", 1) || set_slot(s, &s->st_look[4], "themeShade", 1))
                return -1;
        }
    }
    s->role[d] = (unsigned char)role;
    return 0;
}

/* the look slots as a tuple, ABSENT where nothing was said */
static PyObject *look_slots(ScannerObject *s, PyObject *tuple, int at) {
    for (int i = 0; i < 5; i++) {
        PyObject *v = s->st_look[i] ? s->st_look[i] : ABSENT;
        Py_INCREF(v);
        PyTuple_SET_ITEM(tuple, at + i, v);
    }
    return tuple;
}

static int style_end(ScannerObject *s) {
    int d = s->depth + 1;  /* the element just closed */
    if (d < 1 || d > MAX_DEPTH + 1) return unsupported("nesting deeper than this scanner keeps");
    int role = s->role[d];
    if (role == R_STYLE) {
        /* (kind, basedOn, numId, ilvl, vanish, color, themeColor, themeTint, themeShade) */
        PyObject *record = PyTuple_New(9);
        if (!record) return -1;
        PyObject *head[4] = {s->st_kind, or_none(s->st_based), or_none(s->st_num_id), or_none(s->st_ilvl)};
        for (int i = 0; i < 4; i++) {
            Py_INCREF(head[i]);
            PyTuple_SET_ITEM(record, i, head[i]);
        }
        look_slots(s, record, 4);
        int failed = PyDict_SetItem(s->st_styles, s->st_id, record);
        Py_DECREF(record);
        if (failed) return -1;
        if (s->st_is_default) {
            Py_INCREF(s->st_id);
            Py_XSETREF(s->st_default_paragraph, s->st_id);
        }
        clear_style(s);
    } else if (role == R_DOCDEF) {
        PyObject *defaults = PyTuple_New(5);
        if (!defaults) return -1;
        Py_XSETREF(s->st_defaults, look_slots(s, defaults, 0));
        clear_style(s);
    }
    return 0;
}

/* A namespace name that libxml2 surely parses as a URI. The tree builder behind lxml's iterparse, which reads
 * styles.xml for the reference, refuses namespace names that are not URI references (":", "a b", "%zz", "a|b",
 * "http://[x"...), though the parser-target interface document.xml is read with only warns. So the StyleScanner
 * reads only a conservative subset and hands back the rest: an absolute URI, scheme ":" then either "//", a host
 * of letters, digits, dots and hyphens, an optional numeric port and a path, or a non-empty rest not starting
 * with "/" (urn:...); path and rest of letters, digits and -._~:@!$'()*+,;=/ only (no %, ?, #, brackets). */
static inline int alnum(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int plain_uri(const unsigned char *v, Py_ssize_t n) {
    static const char extra[] = "-._~:@!$'()*+,;=/";
    Py_ssize_t i = 0;
    if (n <= 0 || !((v[0] >= 'a' && v[0] <= 'z') || (v[0] >= 'A' && v[0] <= 'Z'))) return 0;
    while (i < n && (alnum(v[i]) || v[i] == '+' || v[i] == '-' || v[i] == '.')) i++;
    if (i >= n || v[i] != ':') return 0;
    i++;
    if (i + 1 < n && v[i] == '/' && v[i + 1] == '/') {
        i += 2;
        Py_ssize_t host = i;
        while (i < n && (alnum(v[i]) || v[i] == '.' || v[i] == '-')) i++;
        if (i == host) return 0;
        if (i < n && v[i] == ':') {
            Py_ssize_t port = ++i;
            while (i < n && v[i] >= '0' && v[i] <= '9') i++;
            if (i == port) return 0;
        }
        if (i < n && v[i] != '/') return 0;
    } else if (i >= n || v[i] == '/') {
        return 0;
    }
    for (; i < n; i++) {
        if (!alnum(v[i]) && !memchr(extra, v[i], sizeof(extra) - 1)) return 0;
    }
    return 1;
}

/* --- the tokenizer ----------------------------------------------------------------------------------- */

#define NEED_MORE 0
#define BAD (-1)

/* A start or empty-element tag at p ('<' then a name). Returns bytes consumed, NEED_MORE or BAD. */
static Py_ssize_t start_tag(ScannerObject *s, const unsigned char *p, Py_ssize_t n, int final) {
    Py_ssize_t prefix, i = 1;
    Py_ssize_t name_len = qname(p + 1, n - 1, &prefix);
    if (name_len < 0) return (final || n > MAX_NAME) ? unsupported("a tag cut short") : NEED_MORE;
    if (name_len == 0) return unsupported("a tag name this scanner does not read");
    if (name_len > MAX_NAME) return unsupported("a long name");
    const unsigned char *name = p + 1;
    i = 1 + name_len;
    s->nattrs = 0;
    int empty = 0;
    for (;;) {
        Py_ssize_t spaces = i;
        while (i < n && is_space(p[i])) i++;
        if (i >= n) return final ? unsupported("a tag cut short") : NEED_MORE;
        if (p[i] == '>') { i++; break; }
        if (p[i] == '/') {
            if (i + 1 >= n) return final ? unsupported("a tag cut short") : NEED_MORE;
            if (p[i + 1] != '>') return unsupported("'/' without '>'");
            empty = 1;
            i += 2;
            break;
        }
        if (i == spaces) return unsupported("attributes without space between them");
        if (s->nattrs >= MAX_ATTRS) return unsupported("too many attributes");
        Attr *a = &s->attrs[s->nattrs];
        Py_ssize_t aprefix;
        Py_ssize_t alen = qname(p + i, n - i, &aprefix);
        if (alen < 0) return final ? unsupported("a tag cut short") : NEED_MORE;
        if (alen == 0) return unsupported("an attribute name this scanner does not read");
        if (alen > MAX_NAME) return unsupported("a long name");
        a->name = p + i; a->name_len = alen; a->prefix_len = aprefix; a->uri = -1; a->xmlns = 0;
        i += alen;
        while (i < n && is_space(p[i])) i++;
        if (i >= n) return final ? unsupported("a tag cut short") : NEED_MORE;
        if (p[i] != '=') return unsupported("an attribute without '='");
        i++;
        while (i < n && is_space(p[i])) i++;
        if (i >= n) return final ? unsupported("a tag cut short") : NEED_MORE;
        unsigned char quote = p[i];
        if (quote != '"' && quote != '\'') return unsupported("an unquoted attribute value");
        const unsigned char *close = memchr(p + i + 1, quote, n - i - 1);
        if (!close) return final ? unsupported("a tag cut short") : NEED_MORE;
        a->value = p + i + 1;
        a->value_len = close - a->value;
        if (check_value(a->value, a->value_len)) return BAD;
        i = close - p + 1;
        if ((alen == 5 && memcmp(a->name, "xmlns", 5) == 0)) a->xmlns = 1;
        else if (aprefix == 5 && memcmp(a->name, "xmlns", 5) == 0) a->xmlns = 2;
        /* the same qname twice */
        for (int k = 0; k < s->nattrs; k++) {
            if (s->attrs[k].name_len == alen && memcmp(s->attrs[k].name, a->name, alen) == 0)
                return unsupported("an attribute given twice");
        }
        s->nattrs++;
    }
    /* namespace declarations */
    if (s->depth >= s->max_depth) return unsupported("nesting deeper than this scanner keeps");
    Open *open = &s->open[s->depth];
    open->nbindings = 0;
    for (int k = 0; k < s->nattrs; k++) {
        Attr *a = &s->attrs[k];
        if (!a->xmlns) continue;
        if (a->value_len > MAX_URI_LEN) return unsupported("a namespace name over the scanner's cap");
        for (Py_ssize_t j = 0; j < a->value_len; j++) {
            unsigned char c = a->value[j];
            if (c <= ' ' || c >= 0x7F || c == '&' || c == '<') return unsupported("an unusual namespace name");
        }
        if (s->styles_mode && a->value_len && !plain_uri(a->value, a->value_len))
            return unsupported("a namespace name lxml's tree builder may refuse");
        int uri = intern_uri(s, a->value, a->value_len);
        if (uri == -2) return BAD;
        if (a->xmlns == 1) {
            if (uri == NS_XML) return unsupported("the XML namespace as default");
            /* a default namespace is kept as a binding of the empty prefix, restored on the element's end */
            if (s->nbindings >= MAX_BINDINGS) return unsupported("too many namespace declarations");
            s->bindings[s->nbindings].prefix_len = -1;  /* marks a saved default */
            s->bindings[s->nbindings].uri = s->default_uri;
            s->nbindings++;
            open->nbindings++;
            s->default_uri = a->value_len ? uri : -1;
            continue;
        }
        Py_ssize_t plen = a->name_len - 6;
        const unsigned char *pname = a->name + 6;
        if (a->value_len == 0 || plen >= 64 || (plen == 3 && memcmp(pname, "xml", 3) == 0)
            || (plen == 5 && memcmp(pname, "xmlns", 5) == 0) || uri == NS_XML)
            return unsupported("an unusual namespace declaration");
        if (s->nbindings >= MAX_BINDINGS) return unsupported("too many namespace declarations");
        memcpy(s->bindings[s->nbindings].prefix, pname, plen);
        s->bindings[s->nbindings].prefix_len = (int)plen;
        s->bindings[s->nbindings].uri = uri;
        s->nbindings++;
        open->nbindings++;
    }
    /* the element's namespace, and each attribute's */
    int uri = lookup_prefix(s, name, prefix);
    if (prefix && (uri < 0 || uri == NS_XML)) return unsupported("an undeclared or reserved prefix");
    if (prefix == 5 && memcmp(name, "xmlns", 5) == 0) return unsupported("an element named xmlns:");
    for (int k = 0; k < s->nattrs; k++) {
        Attr *a = &s->attrs[k];
        if (a->xmlns || !a->prefix_len) continue;
        a->uri = lookup_prefix(s, a->name, a->prefix_len);
        if (a->uri < 0) return unsupported("an undeclared prefix on an attribute");
        for (int j = 0; j < k; j++) {  /* the same expanded name twice */
            Attr *b = &s->attrs[j];
            if (b->xmlns || !b->prefix_len || b->uri != a->uri) continue;
            if (b->name_len - b->prefix_len == a->name_len - a->prefix_len
                && memcmp(b->name + b->prefix_len, a->name + a->prefix_len, a->name_len - a->prefix_len) == 0)
                return unsupported("an attribute given twice through two prefixes");
        }
    }
    if (s->ns_work > NS_WORK_PER_BYTE * s->fed + NS_WORK_ALLOWANCE)
        return unsupported("namespace lookups over the scanner's budget");
    if (s->names_len + name_len > NAME_ARENA) return unsupported("long names nested deeply");
    memcpy(s->names + s->names_len, name, name_len);
    open->name_at = s->names_len;
    open->name_len = name_len;
    s->names_len += name_len;
    int code = uri < 0 ? C_NONE : element_code(uri, name + (prefix ? prefix + 1 : 0),
                                               name_len - (prefix ? prefix + 1 : 0));
    if (!s->root_seen) {
        s->root_seen = 1;
        /* the walker reads w:val etc. in the root's W namespace (transitional unless the root is strict) */
        if (uri == NS_W_S) { s->w_ns = NS_W_S; s->r_ns = NS_R_S; }
    }
    open->code = code;
    s->depth++;
    if (s->styles_mode ? style_start(s, name + (prefix ? prefix + 1 : 0), name_len - (prefix ? prefix + 1 : 0))
                       : start_element(s, code))
        return BAD;
    if (empty) {
        s->depth--;
        s->names_len = open->name_at;
        for (int k = 0; k < open->nbindings; k++) {
            s->nbindings--;
            if (s->bindings[s->nbindings].prefix_len == -1) s->default_uri = s->bindings[s->nbindings].uri;
        }
        if (s->styles_mode ? style_end(s) : end_element(s)) return BAD;
    }
    if (s->depth == 0) s->state = ST_EPILOG;
    return i;
}

static Py_ssize_t end_tag(ScannerObject *s, const unsigned char *p, Py_ssize_t n, int final) {
    if (s->depth == 0) return unsupported("an end tag with nothing open");
    Open *open = &s->open[s->depth - 1];
    Py_ssize_t m = open->name_len;
    if (n < 2 + m + 1) return final ? unsupported("a tag cut short") : NEED_MORE;
    if (memcmp(p + 2, s->names + open->name_at, m) != 0) return unsupported("an end tag that does not match");
    Py_ssize_t i = 2 + m;
    while (i < n && is_space(p[i])) i++;
    if (i >= n) return final ? unsupported("a tag cut short") : NEED_MORE;
    if (p[i] != '>') return unsupported("an end tag that does not match");
    s->depth--;
    s->names_len = open->name_at;
    for (int k = 0; k < open->nbindings; k++) {
        s->nbindings--;
        if (s->bindings[s->nbindings].prefix_len == -1) s->default_uri = s->bindings[s->nbindings].uri;
    }
    if (s->styles_mode ? style_end(s) : end_element(s)) return BAD;
    if (s->depth == 0) s->state = ST_EPILOG;
    return i + 1;
}

/* The length in bytes of the character at p (a comment's or processing instruction's): 0 if the chunk cuts it
 * short, -1 (Unsupported set) if it is not UTF-8 or not allowed in XML. */
static int char_length(const unsigned char *p, Py_ssize_t n) {
    if (*p >= 0x20 && *p < 0x80) return 1;
    Py_UCS4 ch;
    int k = utf8_char(p, n, &ch);
    return k < 0 ? unsupported("a character that is not UTF-8 or not allowed in XML") : k;
}

/* From p[i], characters checked, to the closing "-->" of a comment (`is_comment`: where "--" must close it) or "?>"
 * of a processing instruction: the length through its ">", or NEED_MORE / unsupported(cut_short) at the end. */
static Py_ssize_t through_close(const unsigned char *p, Py_ssize_t n, Py_ssize_t i, int is_comment, int final,
                                const char *cut_short) {
    unsigned char mark = is_comment ? '-' : '?';
    Py_ssize_t gt = is_comment ? 2 : 1;  /* where the '>' stands after the mark */
    while (i < n) {
        if (p[i] == mark) {
            if (i + gt >= n) break;
            if (!is_comment || p[i + 1] == '-') {
                if (p[i + gt] == '>') return i + gt + 1;
                if (is_comment) return unsupported("'--' in a comment");
            }
            i++;
            continue;
        }
        int k = char_length(p + i, n - i);
        if (k < 0) return -1;
        if (k == 0) break;
        i += k;
    }
    return final ? unsupported(cut_short) : NEED_MORE;
}

/* "<!--" ... "-->", characters checked */
static Py_ssize_t comment(const unsigned char *p, Py_ssize_t n, int final) {
    return through_close(p, n, 4, 1, final, "a comment cut short");
}

/* "<?target ...?>" (not the XML declaration) */
static Py_ssize_t processing_instruction(const unsigned char *p, Py_ssize_t n, int final) {
    Py_ssize_t i = 2;
    while (i < n && name_char(p[i])) i++;
    if (i >= n) return final ? unsupported("a processing instruction cut short") : NEED_MORE;
    if (i == 2 || !name_start(p[2])) return unsupported("a processing instruction this scanner does not read");
    if (i - 2 == 3 && (p[2] | 0x20) == 'x' && (p[3] | 0x20) == 'm' && (p[4] | 0x20) == 'l')
        return unsupported("an XML declaration after the start");
    if (!is_space(p[i]) && p[i] != '?') return unsupported("a processing instruction this scanner does not read");
    return through_close(p, n, i, 0, final, "a processing instruction cut short");
}

/* The XML declaration, strictly: version 1.0, encoding UTF-8 if any, standalone yes/no if any. */
static Py_ssize_t xml_declaration(const unsigned char *p, Py_ssize_t n, int final) {
    const unsigned char *end = NULL;
    for (Py_ssize_t i = 0; i + 1 < n && i < 512; i++) {
        if (p[i] == '?' && p[i + 1] == '>') { end = p + i; break; }
    }
    if (!end) return (!final && n < 512) ? NEED_MORE : unsupported("an XML declaration this scanner does not read");
    Py_ssize_t i = 5, stop = end - p;
    static const char *names[] = {"version", "encoding", "standalone"};
    int next = 0;
    while (1) {
        Py_ssize_t spaces = i;
        while (i < stop && is_space(p[i])) i++;
        if (i == stop) break;
        if (i == spaces) return unsupported("an XML declaration this scanner does not read");
        int which = -1;
        for (int k = next; k < 3 && which < 0; k++) {
            Py_ssize_t m = (Py_ssize_t)strlen(names[k]);
            if (stop - i > m && memcmp(p + i, names[k], m) == 0) { which = k; i += m; }
        }
        if (which < 0 || (next == 0 && which != 0)) return unsupported("an XML declaration this scanner does not read");
        next = which + 1;
        while (i < stop && is_space(p[i])) i++;
        if (i >= stop || p[i] != '=') return unsupported("an XML declaration this scanner does not read");
        i++;
        while (i < stop && is_space(p[i])) i++;
        if (i >= stop || (p[i] != '"' && p[i] != '\'')) return unsupported("an XML declaration this scanner does not read");
        unsigned char quote = p[i++];
        Py_ssize_t start = i;
        while (i < stop && p[i] != quote) i++;
        if (i >= stop) return unsupported("an XML declaration this scanner does not read");
        Py_ssize_t m = i - start;
        const unsigned char *v = p + start;
        int ok;
        if (which == 0) ok = m == 3 && memcmp(v, "1.0", 3) == 0;
        else if (which == 1) ok = m == 5 && (v[0] | 0x20) == 'u' && (v[1] | 0x20) == 't' && (v[2] | 0x20) == 'f'
                                 && v[3] == '-' && v[4] == '8';
        else ok = (m == 3 && memcmp(v, "yes", 3) == 0) || (m == 2 && memcmp(v, "no", 2) == 0);
        if (!ok) return unsupported("an XML declaration this scanner does not read (version, encoding)");
        i++;
    }
    if (next == 0) return unsupported("an XML declaration without a version");
    return stop + 2;
}

/* Scan the buffer from the start; returns the bytes consumed or -1. */
static Py_ssize_t scan(ScannerObject *s, int final) {
    const unsigned char *buf = s->buf;
    Py_ssize_t n = s->len, pos = 0;
    if (s->state == ST_START) {
        if (n < 16 && !final) return 0;
        if (n >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF) pos = 3;
        if (n - pos >= 6 && memcmp(buf + pos, "<?xml", 5) == 0 && is_space(buf[pos + 5])) {
            Py_ssize_t k = xml_declaration(buf + pos, n - pos, final);
            if (k < 0) return -1;
            if (k == 0) return 0;
            pos += k;
        }
        s->state = ST_PROLOG;
    }
    while (pos < n) {
        const unsigned char *p = buf + pos;
        Py_ssize_t left = n - pos;
        if (s->state != ST_CONTENT) {
            /* before or after the root element: white space, comments and processing instructions */
            if (is_space(*p)) { pos++; continue; }
            if (*p != '<') return unsupported("text outside the root element");
            if (left < 4 && !final) break;
            Py_ssize_t k;
            if (left >= 2 && p[1] == '?') k = processing_instruction(p, left, final);
            else if (left >= 4 && memcmp(p, "<!--", 4) == 0) k = comment(p, left, final);
            else if (left >= 2 && p[1] == '!') return unsupported("a DOCTYPE or other declaration");
            else if (s->state == ST_EPILOG) return unsupported("content after the root element");
            else {
                k = start_tag(s, p, left, final);
                if (k > 0 && s->state == ST_PROLOG) s->state = s->depth ? ST_CONTENT : ST_EPILOG;
            }
            if (k < 0) return -1;
            if (k == 0) {
                if (left > MAX_TOKEN) return unsupported("a token over the scanner's cap");
                break;
            }
            pos += k;
            continue;
        }
        unsigned char c = *p;
        if (c == '<') {
            s->text_run = 0;
            if (left < 2) { if (final) return unsupported("a document cut short"); break; }
            Py_ssize_t k;
            if (p[1] == '/') k = end_tag(s, p, left, final);
            else if (p[1] == '?') k = processing_instruction(p, left, final);
            else if (p[1] == '!') {
                if (left < 4 && !final) break;
                if (left >= 4 && memcmp(p, "<!--", 4) == 0) k = comment(p, left, final);
                else return unsupported("CDATA or a declaration in content");
            } else k = start_tag(s, p, left, final);
            if (k < 0) return -1;
            if (k == 0) {
                if (left > MAX_TOKEN) return unsupported("a token over the scanner's cap");
                break;
            }
            pos += k;
            continue;
        }
        if (c == '&') {
            Py_UCS4 ch;
            int k = reference(p, left, &ch);
            if (k < 0) return unsupported("an unknown or broken reference");
            if (k == 0) { if (final) return unsupported("a reference cut short"); break; }
            if (s->collect >= 0) summary_add(&s->text, classify(ch));
            pos += k;
            if ((s->text_run += k) > MAX_TEXT) return unsupported("a text node over the scanner's cap");
            continue;
        }
        /* character data up to the next markup or reference */
        Py_ssize_t limit = final ? n : n - 3;  /* keep "]]>" whole */
        Py_ssize_t start = pos;
        Summary *text = &s->text;
        int collect = s->collect >= 0;
        while (pos < limit) {
            c = buf[pos];
            if (c < 0x80) {
                if (c == '<' || c == '&') break;
                if (c < 0x20) {
                    if (c != 9 && c != 10 && c != 13) return unsupported("a control character");
                    if (collect) { text->in_word = 0; if (!text->nonempty) { text->nonempty = 1; text->first_joins = 0; } }
                } else if (c == ']' && pos + 2 < n && buf[pos + 1] == ']' && buf[pos + 2] == '>') {
                    return unsupported("']]>' in text");
                } else if (collect) {
                    if (c == ' ') {
                        text->in_word = 0;
                        if (!text->nonempty) { text->nonempty = 1; text->first_joins = 0; }
                    } else {
                        if (!text->nonempty) { text->nonempty = 1; text->first_joins = 1; }
                        if (!text->in_word) { text->words++; text->in_word = 1; }
                    }
                }
                pos++;
                continue;
            }
            Py_UCS4 ch;
            int k = utf8_char(buf + pos, n - pos, &ch);
            if (k < 0) return unsupported("a character that is not UTF-8 or not allowed in XML");
            if (k == 0) break;
            if (collect) summary_add(text, classify(ch));
            pos += k;
        }
        if ((s->text_run += pos - start) > MAX_TEXT) return unsupported("a text node over the scanner's cap");
        if (pos == start) break;  /* need more bytes */
    }
    return pos;
}

/* feed() and close() run only on an initialised scanner, never re-entered (a resolver calling back would move
 * the buffer the scan is reading), and never again after one of them raised (the scan stopped half way
 * through a token: the element stack, bindings and saved states may disagree). */
static int enter(ScannerObject *s) {
    if (!s->ready) { PyErr_SetString(PyExc_RuntimeError, "Scanner not initialised"); return -1; }
    if (s->busy) { PyErr_SetString(PyExc_RuntimeError, "Scanner re-entered from its resolver"); return -1; }
    if (s->stopped) return unsupported("the scanner already stopped on this part");
    s->busy = 1;
    return 0;
}

static PyObject *leave(ScannerObject *s, PyObject *result) {
    s->busy = 0;
    if (!result) s->stopped = 1;
    return result;
}

static PyObject *scanner_feed(ScannerObject *s, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE)) return NULL;
    if (s->len + view.len > s->cap) {
        Py_ssize_t cap = s->len + view.len;
        unsigned char *grown = PyMem_Realloc(s->buf, cap);
        if (!grown) { PyBuffer_Release(&view); return PyErr_NoMemory(); }
        s->buf = grown;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, view.buf, view.len);
    s->len += view.len;
    s->fed += view.len;
    PyBuffer_Release(&view);
    Py_ssize_t used = scan(s, 0);
    if (used < 0) return NULL;
    memmove(s->buf, s->buf + used, s->len - used);
    s->len -= used;
    if (s->len > MAX_TOKEN + 16) return unsupported("a token over the scanner's cap"), NULL;
    Py_RETURN_NONE;
}

static PyObject *Scanner_feed(ScannerObject *s, PyObject *arg) {
    if (enter(s)) return NULL;
    return leave(s, scanner_feed(s, arg));
}

static PyObject *scanner_close(ScannerObject *s) {
    Py_ssize_t used = scan(s, 1);
    if (used < 0) return NULL;
    if (used != s->len || s->state != ST_EPILOG) return unsupported("a document cut short or empty"), NULL;
    s->len = 0;
    s->done = 1;
    Py_RETURN_NONE;
}

static PyObject *Scanner_close(ScannerObject *s, PyObject *unused) {
    if (enter(s)) return NULL;
    return leave(s, scanner_close(s));
}

static PyMethodDef Scanner_methods[] = {
    {"feed", (PyCFunction)Scanner_feed, METH_O, "Scan the next bytes of the part."},
    {"close", (PyCFunction)Scanner_close, METH_NOARGS, "The part is complete."},
    {NULL}
};

static PyTypeObject ScannerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "portal.documents._fastcount.Scanner",
    .tp_basicsize = sizeof(ScannerObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Scanner(tally, resolver, fixed, label_category, note_kind, note_refs, sections, max_depth): one part.",
    .tp_methods = Scanner_methods,
    .tp_init = (initproc)Scanner_init,
    .tp_new = PyType_GenericNew,
    .tp_dealloc = (destructor)Scanner_dealloc,
};

static int StyleScanner_init(ScannerObject *s, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "", kwlist)) return -1;
    if (s->nuris || s->st_styles) {
        PyErr_SetString(PyExc_RuntimeError, "a StyleScanner is initialised once");
        return -1;
    }
    if (init_tokenizer(s, MAX_DEPTH)) return -1;
    s->st_styles = PyDict_New();
    if (!s->st_styles) return -1;
    s->styles_mode = 1;
    s->ready = 1;
    return 0;
}

/* (docDefaults look slots or None, {styleId: record}, default paragraph style or None), once the part was read */
static PyObject *StyleScanner_sheet(ScannerObject *s, PyObject *unused) {
    if (!s->ready || !s->styles_mode || s->busy) {
        PyErr_SetString(PyExc_RuntimeError, "StyleScanner not initialised, or busy");
        return NULL;
    }
    if (!s->done || s->stopped) return unsupported("the styles part was not read to its end"), NULL;
    return PyTuple_Pack(3, or_none(s->st_defaults), s->st_styles, or_none(s->st_default_paragraph));
}

static PyMethodDef StyleScanner_methods[] = {
    {"feed", (PyCFunction)Scanner_feed, METH_O, "Scan the next bytes of styles.xml."},
    {"close", (PyCFunction)Scanner_close, METH_NOARGS, "The part is complete."},
    {"sheet", (PyCFunction)StyleScanner_sheet, METH_NOARGS,
     "(docDefaults look slots or None, {styleId: record}, default paragraph style or None)."},
    {NULL}
};

static PyTypeObject StyleScannerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "portal.documents._fastcount.StyleScanner",
    .tp_basicsize = sizeof(ScannerObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "StyleScanner(): styles.xml, read for StyleSheet (see styles.StyleSheet.from_scan).",
    .tp_methods = StyleScanner_methods,
    .tp_init = (initproc)StyleScanner_init,
    .tp_new = PyType_GenericNew,
    .tp_dealloc = (destructor)Scanner_dealloc,
};

static PyObject *py_classify(PyObject *module, PyObject *arg) {
    long c = PyLong_AsLong(arg);
    if (c == -1 && PyErr_Occurred()) return NULL;
    if (c < 0 || c > 0x10FFFF) { PyErr_SetString(PyExc_ValueError, "not a code point"); return NULL; }
    return PyLong_FromLong(classify((Py_UCS4)c));
}

/* ooxml.Package's element budget, in one pass: chunk.count(b"<") - chunk.count(b"</") - chunk.count(b"<?")
 * - chunk.count(b"<!") (none of these pairs can overlap, so each '<' not followed in the chunk by '/', '?' or
 * '!' is counted once). */
static PyObject *py_opening_tags(PyObject *module, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE)) return NULL;
    const unsigned char *p = view.buf, *end = p + view.len;
    Py_ssize_t count = 0;
    while ((p = memchr(p, '<', end - p)) != NULL) {
        if (p + 1 >= end || (p[1] != '/' && p[1] != '?' && p[1] != '!')) count++;
        p++;
    }
    PyBuffer_Release(&view);
    return PyLong_FromSsize_t(count);
}

static PyMethodDef module_methods[] = {
    {"classify", py_classify, METH_O, "0 invisible, 1 separator, 2 CJK (a word each), 3 part of a word."},
    {"opening_tags", py_opening_tags, METH_O, "The element budget's count of a chunk, as ooxml.opening_tags."},
    {NULL}
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_fastcount",
    "The compiled fast path of portal.documents.wordcount (see _fastcount.c).", -1, module_methods,
};

PyMODINIT_FUNC PyInit__fastcount(void) {
    if (PyType_Ready(&TallyType) < 0 || PyType_Ready(&ScannerType) < 0 || PyType_Ready(&StyleScannerType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    Unsupported = PyErr_NewException("portal.documents._fastcount.Unsupported", NULL, NULL);
    ABSENT = PyObject_CallNoArgs((PyObject *)&PyBaseObject_Type);
    NO_LOOK = PyObject_CallNoArgs((PyObject *)&PyBaseObject_Type);
    S_LIVE = PyUnicode_InternFromString("live");
    S_DELETED = PyUnicode_InternFromString("deleted");
    S_DEFAULT = PyUnicode_InternFromString("default");
    S_EMPTY = PyUnicode_InternFromString("");
    S_paragraph = PyUnicode_InternFromString("paragraph");
    S_label = PyUnicode_InternFromString("label");
    S_run = PyUnicode_InternFromString("run");
    S_sym = PyUnicode_InternFromString("sym");
    if (!Unsupported || !ABSENT || !NO_LOOK || !S_LIVE || !S_DELETED || !S_DEFAULT || !S_EMPTY || !S_paragraph
        || !S_label || !S_run || !S_sym)
        return NULL;
    Py_INCREF(&TallyType);
    Py_INCREF(&ScannerType);
    Py_INCREF(&StyleScannerType);
    Py_INCREF(Unsupported);
    Py_INCREF(ABSENT);
    Py_INCREF(NO_LOOK);
    if (PyModule_AddObject(m, "Tally", (PyObject *)&TallyType) || PyModule_AddObject(m, "Scanner", (PyObject *)&ScannerType)
        || PyModule_AddObject(m, "Unsupported", Unsupported) || PyModule_AddObject(m, "ABSENT", ABSENT)
        || PyModule_AddObject(m, "NO_LOOK", NO_LOOK)
        || PyModule_AddObject(m, "StyleScanner", (PyObject *)&StyleScannerType))
        return NULL;
    return m;
}
