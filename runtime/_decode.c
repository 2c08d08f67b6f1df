/* Decoding straight from the text: typed objects without a parsed tree in between.
 *
 * Included by _speedups.c after the tree builder (it uses its ClassSpec tables,
 * new_object and NOT_HANDLED). parse_event(task_cls, text) reads Gson's compact
 * or pretty text of a TaskStateChange as the generated decoders would, with the
 * same attributes and caches. It accepts only what is regular: members in Gson's
 * order (strict mode), no null, every value of its field's type and in range,
 * known enum names and setFields, distinct set elements, string map keys, plain
 * JSON. Anything else returns "not handled" (NULL with no error set) and the
 * caller decodes the same text the usual way (parse, then the tree builder or
 * the generated decoder), so every error keeps its type, message and path.
 *
 * Interning: an object with a non-zero cachedHashCode whose every part is hashed
 * is remembered in its class's Interned._first, under its hash, with the bytes
 * of its text (_FirstSight.span). A later object with the same hash and the very
 * same bytes is that object again. Only identical text is shared; the tree
 * decoders share objects whose parsed trees are equal (which may be written
 * differently) -- sharing cannot be seen in what is read, written or hashed.
 */

typedef struct {
    ClassSpec *c;
    const char **name;     /* struct: the UTF-8 JSON name of each field */
    Py_ssize_t *name_len;
    char *required;        /* struct: Gson always writes the field (the decoder refuses it missing) */
    PyObject *first;       /* Interned._first of the class (jhash -> _FirstSight), or NULL */
    Py_ssize_t first_limit;/* Interned.size */
} ParseSpec;

static PyObject *parse_registry;    /* class -> capsule of its ParseSpec */
static PyObject *java_double_fn;    /* read_values.java_double */
static PyTypeObject *first_sight;   /* interning._FirstSight */
static Py_ssize_t off_fs_tree, off_fs_obj, off_fs_span, off_set_members, off_map_hash;
static long long parse_declined;

/* ascii_only: decline other bytes in strings. canonical: everything read so far is written as the
   encoder writes it (no spaces, integers and doubles in their one form, strings escaped as Gson escapes
   them), so that the text is the very text the objects read encode to (parse_event's proof). */
typedef struct { const char *p, *end; int ascii_only, canonical; } Text;

#define LOSSLESS 9.223372036854776e18  /* 2^63: beyond, Java's text decides (read_values.java_double) */
#define EXACT_INT 9007199254740992LL   /* 2^53: an integer written for a double is exact up to here */

static ParseSpec *parse_spec(PyObject *cls) {
    PyObject *cap = PyDict_GetItemWithError(parse_registry, cls);
    return cap == NULL ? NULL : (ParseSpec *)PyCapsule_GetPointer(cap, NULL);
}

static inline void skip_ws(Text *t) {
    const char *p = t->p;
    while (p < t->end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
    if (p != t->p) {
        t->canonical = 0;  /* the encoder writes no spaces */
        t->p = p;
    }
}

static inline int take(Text *t, char ch) {
    skip_ws(t);
    if (t->p < t->end && *t->p == ch) { t->p++; return 1; }
    return 0;
}

static inline int take_word(Text *t, const char *word, Py_ssize_t n) {
    if (t->end - t->p >= n && memcmp(t->p, word, n) == 0) { t->p += n; return 1; }
    return 0;
}

/* A member name without escapes: its bytes (the quotes excluded), the ':' after it taken. */
static int take_key(Text *t, const char **s, Py_ssize_t *n) {
    if (!take(t, '"')) return 0;
    const char *q = t->p;
    while (q < t->end && *q != '"') {
        if (*q == '\\' || (unsigned char)*q < 0x20) return 0;
        q++;
    }
    if (q >= t->end) return 0;
    *s = t->p;
    *n = q - t->p;
    t->p = q + 1;
    return take(t, ':');
}

static inline int take_named(Text *t, const char *name) {
    const char *s;
    Py_ssize_t n;
    return take_key(t, &s, &n) && n == (Py_ssize_t)strlen(name) && memcmp(s, name, n) == 0;
}

static int hex4(const char *p, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char ch = p[i];
        v <<= 4;
        if (ch >= '0' && ch <= '9') v |= ch - '0';
        else if (ch >= 'a' && ch <= 'f') v |= ch - 'a' + 10;
        else if (ch >= 'A' && ch <= 'F') v |= ch - 'A' + 10;
        else return -1;
    }
    *out = v;
    return 0;
}

/* Whether the escape at e (after its backslash) is the one Gson writes for what it stands for (cp):
   the short forms, or lower-case \u00XX of a control or an HTML character, or \u2028, \u2029 */
static int gson_escape(const char *e, unsigned cp) {
    switch (*e) {
    case '"': case '\\': case 'b': case 'f': case 'n': case 'r': case 't': return 1;
    case 'u': break;
    default: return 0;  /* \/ */
    }
    if (cp < 256 ? !escaped[cp] : cp != 0x2028 && cp != 0x2029) return 0;  /* Gson writes it as it is */
    char own[8];
    return escape_char(cp, own) == 6 && memcmp(own + 2, e + 1, 4) == 0;  /* not a short form, hex in lower case */
}

/* A JSON string (t->p at its opening quote, spaces skipped), as a str. */
static PyObject *parse_string(Text *t) {
    if (t->p >= t->end || *t->p != '"') return NOT_HANDLED;
    const char *s = t->p + 1, *q = s;
    int ascii = 1, has_escape = 0, canonical = 1;
    while (q < t->end && *q != '"') {
        unsigned char ch = (unsigned char)*q;
        if (ch < 0x20) return NOT_HANDLED;  /* a raw control character: not JSON */
        if (ch == '\\') {
            has_escape = 1;
            if (++q >= t->end) return NOT_HANDLED;
        } else if (ch >= 0x80) {
            ascii = 0;  /* U+2028 and U+2029 (E2 80 A8, E2 80 A9) Gson escapes */
            if (ch == 0xE2 && t->end - q > 2 && (unsigned char)q[1] == 0x80 && ((unsigned char)q[2] & 0xFE) == 0xA8)
                canonical = 0;
        } else if (escaped[ch]) {
            canonical = 0;  /* < > & = ' as they are: Gson escapes them */
        }
        q++;
    }
    if (q >= t->end || (!ascii && t->ascii_only)) return NOT_HANDLED;
    t->p = q + 1;
    if (!has_escape) {
        t->canonical &= canonical;
        if (ascii) {
            PyObject *u = PyUnicode_New(q - s, 127);
            if (u != NULL) memcpy(PyUnicode_DATA(u), s, q - s);
            return u;
        }
        PyObject *u = PyUnicode_DecodeUTF8(s, q - s, NULL);
        if (u == NULL) PyErr_Clear();
        return u;
    }
    char *buf = PyMem_Malloc(q - s + 1), *w = buf;  /* escapes only ever shorten the text */
    if (buf == NULL) return PyErr_NoMemory();
    for (const char *r = s; r < q;) {
        if (*r != '\\') { *w++ = *r++; continue; }
        const char *at = r + 1;
        char e = r[1];
        r += 2;
        switch (e) {
        case '"': *w++ = '"'; break;
        case '\\': *w++ = '\\'; break;
        case '/': *w++ = '/'; canonical = 0; break;
        case 'b': *w++ = '\b'; break;
        case 'f': *w++ = '\f'; break;
        case 'n': *w++ = '\n'; break;
        case 'r': *w++ = '\r'; break;
        case 't': *w++ = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (q - r < 4 || hex4(r, &cp) < 0) goto bad;
            r += 4;
            if (cp >= 0xDC00 && cp <= 0xDFFF) goto bad;  /* a lone low surrogate */
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (q - r < 6 || r[0] != '\\' || r[1] != 'u' || hex4(r + 2, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF)
                    goto bad;  /* a lone high surrogate */
                r += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                canonical = 0;  /* Gson writes a character beyond the BMP as it is */
            } else if (canonical) {
                canonical = gson_escape(at, cp);
            }
            if (cp < 0x80) *w++ = (char)cp;
            else if (cp < 0x800) { *w++ = (char)(0xC0 | cp >> 6); *w++ = (char)(0x80 | (cp & 0x3F)); }
            else if (cp < 0x10000) {
                *w++ = (char)(0xE0 | cp >> 12); *w++ = (char)(0x80 | (cp >> 6 & 0x3F)); *w++ = (char)(0x80 | (cp & 0x3F));
            } else {
                *w++ = (char)(0xF0 | cp >> 18); *w++ = (char)(0x80 | (cp >> 12 & 0x3F));
                *w++ = (char)(0x80 | (cp >> 6 & 0x3F)); *w++ = (char)(0x80 | (cp & 0x3F));
            }
            break;
        }
        default: goto bad;
        }
    }
    t->canonical &= canonical;
    PyObject *u = PyUnicode_DecodeUTF8(buf, w - buf, NULL);
    if (u == NULL) PyErr_Clear();
    PyMem_Free(buf);
    return u;
bad:
    PyMem_Free(buf);
    return NOT_HANDLED;
}

/* The end of the JSON number at p (NULL: not one); *integral: no fraction, no exponent. */
static const char *number_end(const char *p, const char *end, int *integral) {
    const char *q = p;
    *integral = 1;
    if (q < end && *q == '-') q++;
    if (q >= end) return NULL;
    if (*q == '0') q++;
    else if (*q >= '1' && *q <= '9') while (q < end && *q >= '0' && *q <= '9') q++;
    else return NULL;
    if (q < end && *q == '.') {
        *integral = 0;
        if (++q >= end || *q < '0' || *q > '9') return NULL;
        while (q < end && *q >= '0' && *q <= '9') q++;
    }
    if (q < end && (*q == 'e' || *q == 'E')) {
        *integral = 0;
        if (++q < end && (*q == '+' || *q == '-')) q++;
        if (q >= end || *q < '0' || *q > '9') return NULL;
        while (q < end && *q >= '0' && *q <= '9') q++;
    }
    return q;
}

/* The integer p..q as a long long (-1: beyond a long's range). */
static int integer_of(const char *p, const char *q, long long *out) {
    int negative = *p == '-';
    if (negative) p++;
    if (q - p > 19) return -1;
    unsigned long long v = 0;
    for (; p < q; p++) v = v * 10 + (unsigned)(*p - '0');  /* 19 digits cannot wrap an unsigned long */
    if (negative ? v > (unsigned long long)INT64_MAX + 1 : v > (unsigned long long)INT64_MAX) return -1;
    *out = negative ? (long long)(0 - v) : (long long)v;
    return 0;
}

static int parse_integer(Text *t, long long *out) {
    int integral;
    const char *q = number_end(t->p, t->end, &integral);
    if (q == NULL || !integral || integer_of(t->p, q, out) < 0) return -1;
    if (*out == 0 && *t->p == '-') t->canonical = 0;  /* -0: the encoder writes 0 */
    t->p = q;
    return 0;
}

/* Whether text..text+n is what the encoder writes for x (short_double, else Java's rules); -1: an error */
static int double_canonical(const char *text, Py_ssize_t n, double x) {
    char own[SHORT_DOUBLE];
    int len = short_double(x, own);
    if (len != 0) return len < 0 ? -1 : len == n && memcmp(own, text, n) == 0;
    PyObject *v = PyFloat_FromDouble(x), *java = v == NULL ? NULL : PyObject_CallOneArg(gson_double, v);
    Py_XDECREF(v);
    if (java == NULL) return -1;
    Py_ssize_t size;
    const char *utf8 = PyUnicode_AsUTF8AndSize(java, &size);
    int same = utf8 == NULL ? -1 : size == n && memcmp(utf8, text, n) == 0;
    Py_DECREF(java);
    return same;
}

static PyObject *parse_double(Text *t) {  /* read_values.double_value of what the parsers read */
    int integral;
    const char *q = number_end(t->p, t->end, &integral);
    if (q == NULL) return NOT_HANDLED;
    if (integral) {  /* an integer written for a double: exact when small enough (larger: the pure rule) */
        long long x;
        if (integer_of(t->p, q, &x) < 0 || x > EXACT_INT || x < -EXACT_INT) return NOT_HANDLED;
        t->p = q;
        t->canonical = 0;  /* Java writes every double with a '.' */
        return PyFloat_FromDouble((double)x);
    }
    char buf[64];
    if (q - t->p >= (Py_ssize_t)sizeof buf) return NOT_HANDLED;
    memcpy(buf, t->p, q - t->p);
    buf[q - t->p] = '\0';
    char *stop;
    double x = PyOS_string_to_double(buf, &stop, NULL);  /* correctly rounded, as the parsers */
    if ((x == -1.0 && PyErr_Occurred()) || stop != buf + (q - t->p)) { PyErr_Clear(); return NOT_HANDLED; }
    if (!isfinite(x)) return NOT_HANDLED;
    Py_ssize_t n = q - t->p;
    t->p = q;
    if (x <= -LOSSLESS || x >= LOSSLESS) {
        PyObject *text = PyUnicode_FromString(buf), *exact = NULL;  /* the double Java meant by this text */
        if (text != NULL) exact = PyObject_CallOneArg(java_double_fn, text);
        Py_XDECREF(text);
        if (exact == NULL) return NULL;
        x = PyFloat_AsDouble(exact);
        Py_DECREF(exact);
        if (x == -1.0 && PyErr_Occurred()) return NULL;
    }
    if (t->canonical) {
        int same = double_canonical(buf, n, x);
        if (same < 0) return NULL;
        t->canonical = same;
    }
    return PyFloat_FromDouble(x);
}

/* Past the JSON object or array at p (string-aware; NULL: unterminated). */
static const char *skip_value(const char *p, const char *end) {
    int depth = 0;
    for (; p < end; p++) {
        char ch = *p;
        if (ch == '"') {
            for (p++; p < end && *p != '"'; p++)
                if (*p == '\\') p++;
            if (p >= end) return NULL;
        } else if (ch == '{' || ch == '[') {
            depth++;
        } else if (ch == '}' || ch == ']') {
            if (--depth == 0) return p + 1;
        }
    }
    return NULL;
}

static PyObject *parse_struct(ParseSpec *ps, Text *t, int depth, int *hashed);

/* Whether start..end is the str text */
static int is_text(PyObject *text, const char *start, const char *end) {
    Py_ssize_t n;
    const char *utf8 = PyUnicode_AsUTF8AndSize(text, &n);
    if (utf8 == NULL) { PyErr_Clear(); return 0; }
    return n == end - start && memcmp(utf8, start, n) == 0;
}

/* Parse a value as type s; *hashed is cleared when a struct inside has cachedHashCode 0. */
static PyObject *parse_value(Spec *s, Text *t, int depth, int *hashed) {
    skip_ws(t);
    switch (s->kind) {
    case K_BOOL:
        if (take_word(t, "true", 4)) Py_RETURN_TRUE;
        if (take_word(t, "false", 5)) Py_RETURN_FALSE;
        return NOT_HANDLED;
    case K_INT: case K_I64: {
        long long x;
        if (parse_integer(t, &x) < 0) return NOT_HANDLED;
        if (s->kind == K_INT && (x < s->low || x > s->high)) return NOT_HANDLED;
        return PyLong_FromLongLong(x);
    }
    case K_DOUBLE:
        return parse_double(t);
    case K_STRING:
        return parse_string(t);
    case K_ENUM: {
        if (s->by_name == NULL) return NOT_HANDLED;
        PyObject *name = parse_string(t);
        if (name == NULL) return NULL;
        PyObject *member = PyDict_GetItemWithError(s->by_name, name);
        Py_DECREF(name);
        /* written as _Q_ writes it when the name is not escaped: _E_ and _Q_ come from one table (_N_) */
        return member == NULL ? NOT_HANDLED : Py_NewRef(member);
    }
    case K_STRUCT: {
        ParseSpec *sub = parse_spec(s->cls);
        return sub == NULL ? NOT_HANDLED : parse_struct(sub, t, depth + 1, hashed);
    }
    case K_LIST: case K_SET: {
        if (!take(t, '[')) return NOT_HANDLED;
        PyObject *tuple = PyTuple_New(0);  /* grown in place: nobody else sees it before it is returned */
        Py_ssize_t n = 0;
        if (tuple == NULL) return NULL;
        if (!take(t, ']')) {
            do {
                PyObject *item = parse_value(s->elem, t, depth, hashed);
                if (item == NULL) { Py_DECREF(tuple); return NULL; }
                if (n == PyTuple_GET_SIZE(tuple) && _PyTuple_Resize(&tuple, n < 4 ? 4 : 2 * n) < 0) {
                    Py_DECREF(item);
                    return NULL;
                }
                PyTuple_SET_ITEM(tuple, n++, item);
            } while (take(t, ','));
            if (!take(t, ']') || (n < PyTuple_GET_SIZE(tuple) && _PyTuple_Resize(&tuple, n) < 0)) {
                Py_XDECREF(tuple);
                return NULL;
            }
        }
        if (s->kind == K_LIST) return tuple;
        PyObject *members = PyDict_New(), *made = NULL;  /* OrderedSet.from_unique, equal elements refused */
        for (Py_ssize_t i = 0; members != NULL && i < n; i++)
            if (PyDict_SetItem(members, PyTuple_GET_ITEM(tuple, i), Py_None) < 0) Py_CLEAR(members);
        if (members != NULL && PyDict_GET_SIZE(members) == n && (made = ordered_set->tp_alloc(ordered_set, 0))) {
            SLOT(made, off_set_items) = Py_NewRef(tuple);
            SLOT(made, off_set_members) = Py_NewRef(members);
        }
        Py_XDECREF(members);
        Py_DECREF(tuple);
        return made;
    }
    case K_MAP: {
        if (s->key->kind != K_STRING || !take(t, '{')) return NOT_HANDLED;
        PyObject *data = PyDict_New();
        if (data == NULL) return NULL;
        if (!take(t, '}')) {
            do {
                skip_ws(t);
                PyObject *key = parse_string(t), *value = NULL;
                if (key != NULL && take(t, ':')) value = parse_value(s->elem, t, depth, hashed);
                Py_ssize_t before = PyDict_GET_SIZE(data);
                int ok = value != NULL && PyDict_SetItem(data, key, value) == 0 && PyDict_GET_SIZE(data) > before;
                Py_XDECREF(key);
                Py_XDECREF(value);
                if (!ok) { Py_DECREF(data); return NULL; }  /* a key twice: the parsers' rule, left to them */
            } while (take(t, ','));
            if (!take(t, '}')) { Py_DECREF(data); return NOT_HANDLED; }
        }
        PyObject *made = frozen_map->tp_alloc(frozen_map, 0);
        if (made == NULL) { Py_DECREF(data); return NULL; }
        SLOT(made, off_map_data) = data;
        SLOT(made, off_map_hash) = Py_NewRef(Py_None);
        return made;
    }
    default:
        return NOT_HANDLED;
    }
}

/* The object of an earlier text identical to start..(the end of this one), or NULL. */
static PyObject *seen_before(ParseSpec *ps, PyObject *jhash, const char *start, Text *t) {
    PyObject *sight = PyDict_GetItemWithError(ps->first, jhash);
    if (sight == NULL || Py_TYPE(sight) != first_sight) return NULL;
    PyObject *span = SLOT(sight, off_fs_span), *obj = SLOT(sight, off_fs_obj);
    if (span == NULL || !PyBytes_CheckExact(span) || obj == NULL || obj == Py_None) return NULL;
    const char *end = skip_value(start, t->end);
    if (end == NULL || end - start != PyBytes_GET_SIZE(span) || memcmp(start, PyBytes_AS_STRING(span), end - start))
        return NULL;
    t->p = end;
    return Py_NewRef(obj);
}

static int remember(ParseSpec *ps, PyObject *jhash, const char *start, const char *end, PyObject *obj) {
    PyObject *sight = first_sight->tp_alloc(first_sight, 0), *span = PyBytes_FromStringAndSize(start, end - start);
    if (sight == NULL || span == NULL) { Py_XDECREF(sight); Py_XDECREF(span); return -1; }
    SLOT(sight, off_fs_tree) = Py_NewRef(Py_None);
    SLOT(sight, off_fs_obj) = Py_NewRef(obj);
    SLOT(sight, off_fs_span) = span;
    if (PyDict_GET_SIZE(ps->first) >= ps->first_limit) PyDict_Clear(ps->first);
    int r = PyDict_SetItem(ps->first, jhash, sight);
    Py_DECREF(sight);
    return r;
}

static PyObject *parse_union(ClassSpec *c, Text *t, PyObject *jhash, int depth, int *hashed) {
    const char *prefix = t->p;  /* ,"setField":"X","value": as the encoder writes the arm */
    if (!take(t, ',') || !take_named(t, "setField")) return NOT_HANDLED;
    skip_ws(t);
    PyObject *set_field = parse_string(t);
    if (set_field == NULL) return NULL;
    PyObject *arm = PyDict_GetItemWithError(c->setfields, set_field);
    Py_DECREF(set_field);
    if (arm == NULL || !take(t, ',') || !take_named(t, "value")) return NOT_HANDLED;
    Field *f = &c->fields[PyLong_AsSsize_t(PyTuple_GET_ITEM(arm, 1))];
    /* the setField read (_SETFIELDS_) is the one the encoder writes for the arm (_ARMS_, another table) */
    if (t->canonical && !is_text(f->prefix, prefix, t->p)) t->canonical = 0;
    int inner = 1;
    PyObject *value = parse_value(&f->type, t, depth, &inner);
    if (value == NULL) return NULL;
    if (!take(t, '}')) { Py_DECREF(value); return NOT_HANDLED; }
    *hashed &= inner && PyLong_AsLong(jhash) != 0;  /* an int in Java's int range */
    PyObject *o = new_object(c, jhash);
    if (o == NULL) { Py_DECREF(value); return NULL; }
    SLOT(o, c->off_set_field) = Py_NewRef(PyTuple_GET_ITEM(arm, 0));
    SLOT(o, c->off_value) = value;
    return o;
}

static PyObject *parse_struct(ParseSpec *ps, Text *t, int depth, int *hashed) {
    ClassSpec *c = ps->c;
    if (depth > DEC_DEPTH) return NOT_HANDLED;
    skip_ws(t);
    const char *start = t->p;
    int outer_canonical = t->canonical;  /* this object's text alone decides whether it is remembered */
    t->canonical = 1;
    long long h;
    if (!take(t, '{') || !take_named(t, "cachedHashCode")) return NOT_HANDLED;
    skip_ws(t);
    if (parse_integer(t, &h) < 0 || h < INT32_MIN || h > INT32_MAX) return NOT_HANDLED;
    PyObject *jhash = PyLong_FromLongLong(h);
    if (jhash == NULL) return NULL;
    if (c->is_union) {
        PyObject *u = parse_union(c, t, jhash, depth, hashed);
        Py_DECREF(jhash);
        t->canonical &= outer_canonical;
        return u;
    }
    PyObject *o = NULL;
    if (ps->first != NULL && h != 0 && (o = seen_before(ps, jhash, start, t)) != NULL) {
        Py_DECREF(jhash);
        t->canonical = outer_canonical;  /* only canonical texts are remembered */
        return o;  /* only fully hashed objects are remembered */
    }
    if (PyErr_Occurred() || (o = new_object(c, jhash)) == NULL) goto fail;
    int inner = 1;
    Py_ssize_t next = 0;  /* members come in field order: the next field a name may be */
    while (!take(t, '}')) {
        const char *name;
        Py_ssize_t n, j;
        if (!take(t, ',') || !take_key(t, &name, &n)) goto fail;
        for (j = next; j < c->n; j++)
            if (ps->name_len[j] == n && memcmp(ps->name[j], name, n) == 0) break;
        if (j == c->n) goto fail;  /* unknown, twice, or out of order */
        for (; next < j; next++) {
            if (ps->required[next]) goto fail;
            SLOT(o, c->fields[next].offset) = Py_NewRef(Py_None);
        }
        PyObject *value = parse_value(&c->fields[j].type, t, depth, &inner);
        if (value == NULL) goto fail;
        SLOT(o, c->fields[j].offset) = value;
        next = j + 1;
    }
    for (; next < c->n; next++) {
        if (ps->required[next]) goto fail;
        SLOT(o, c->fields[next].offset) = Py_NewRef(Py_None);
    }
    inner = inner && h != 0;
    *hashed &= inner;
    /* Only a text the encoder writes is remembered: an object found again by it was read from
       canonical text (see parse_event), and it is not told apart from a non-canonical one. */
    if (ps->first != NULL && inner && t->canonical && remember(ps, jhash, start, t->p, o) < 0) goto fail;
    t->canonical &= outer_canonical;
    Py_DECREF(jhash);
    return o;
fail:
    Py_DECREF(jhash);
    Py_XDECREF(o);
    return NULL;
}

/* parse_event(task_cls, text, ascii_only): (task, oldState member or None, its ScheduleStatus name or None,
   canonical) read from a TaskStateChange's text (a str, or bytes: UTF-8, or with ascii_only of a charset
   that is ASCII's superset), or None when the usual decoding must read it. Bytes need no check of their
   own: anything not UTF-8 (or not ASCII) outside a string is not JSON, and every string is checked.
   canonical is 0, or 1 when the text is, character for character, '{"task":' + the encoder's text of the
   task read + ',"oldState":{}}' or ',"oldState":{"<member>":"<name>"}}' (the name as read, unescaped):
   true while hashing.EPOCH stays where it is; 2 when that holds for good, every object of the task
   having a non-zero cachedHashCode (an object's text changes only when it is hashed). */
static PyObject *parse_event(PyObject *self, PyObject *args) {
    PyObject *cls, *text, *task = NULL, *name = NULL, *member = NULL;
    int ascii_only;
    if (!PyArg_ParseTuple(args, "OOp", &cls, &text, &ascii_only)) return NULL;
    ParseSpec *ps = parse_spec(cls);
    Py_ssize_t size = 0;
    const char *data = NULL;
    if (ps != NULL && PyBytes_CheckExact(text)) {
        data = PyBytes_AS_STRING(text);
        size = PyBytes_GET_SIZE(text);
    } else if (ps != NULL && PyUnicode_CheckExact(text)) {
        data = PyUnicode_AsUTF8AndSize(text, &size);
        ascii_only = 0;
    }
    if (data == NULL) goto declined;  /* e.g. a lone surrogate: not UTF-8 */
    Text t = {data, data + size, ascii_only, 1};
    int hashed = 1;
    if (!take(&t, '{') || !take_named(&t, "task")) goto declined;
    /* No collection while the objects are made: none of them can be garbage yet, and a caller that drops
       the event frees them before the allocation count reaches the next collection (~15% of a parse). */
    int collecting = PyGC_Disable();
    task = parse_struct(ps, &t, 0, &hashed);
    if (collecting) PyGC_Enable();
    if (task == NULL) goto declined;
    if (!take(&t, ',') || !take_named(&t, "oldState") || !take(&t, '{')) goto declined;
    if (!take(&t, '}')) {
        const char *form;
        Py_ssize_t n;
        if (!take_key(&t, &form, &n)) goto declined;
        if (n == 9 && memcmp(form, "reference", 9) == 0) member = PyUnicode_FromString("reference");
        else if (n == 5 && memcmp(form, "value", 5) == 0) member = PyUnicode_FromString("value");
        else goto declined;
        skip_ws(&t);
        if (member == NULL || (name = parse_string(&t)) == NULL || !take(&t, '}')) goto declined;
    } else {
        member = Py_NewRef(Py_None);
        name = Py_NewRef(Py_None);
    }
    if (!take(&t, '}')) goto declined;
    skip_ws(&t);
    if (t.p != t.end) goto declined;
    PyObject *canonical = PyLong_FromLong(t.canonical ? 1 + hashed : 0);
    PyObject *r = canonical == NULL ? NULL : PyTuple_Pack(4, task, member, name, canonical);
    Py_DECREF(task); Py_DECREF(member); Py_DECREF(name); Py_XDECREF(canonical);
    return r;
declined:
    Py_XDECREF(member);
    Py_XDECREF(task);
    Py_XDECREF(name);
    if (PyErr_Occurred() && !PyErr_ExceptionMatches(PyExc_MemoryError)) PyErr_Clear();
    if (PyErr_Occurred()) return NULL;
    parse_declined++;
    Py_RETURN_NONE;
}

/* enable_parse(cls, first, size): parse the class from text (after register_decoder); first is its
   Interned._first (None: not interned), size the table's limit. */
static PyObject *enable_parse(PyObject *self, PyObject *args) {
    PyObject *cls, *first;
    Py_ssize_t limit;
    if (!PyArg_ParseTuple(args, "OOn", &cls, &first, &limit)) return NULL;
    ClassSpec *c = class_spec(cls);
    if (c == NULL || (c->names == NULL && c->setfields == NULL)) {
        if (!PyErr_Occurred()) PyErr_Format(PyExc_TypeError, "%R has no decoding tables", cls);
        return NULL;
    }
    if (!c->is_union) {  /* the parser matches names in field order: it must be Gson's */
        PyObject *at = PyDict_GetItemString(c->order, "cachedHashCode");
        if (at == NULL || PyLong_AsSsize_t(at) != 0 || PyDict_GET_SIZE(c->order) != c->n + 1) Py_RETURN_FALSE;
        for (Py_ssize_t i = 0; i < c->n; i++) {
            at = PyDict_GetItemWithError(c->order, c->names[i]);
            if (at == NULL || PyLong_AsSsize_t(at) != i + 1) Py_RETURN_FALSE;
        }
    }
    ParseSpec *ps = PyMem_Calloc(1, sizeof *ps);
    if (ps == NULL) return PyErr_NoMemory();
    ps->c = c;
    ps->first = PyDict_CheckExact(first) ? Py_NewRef(first) : NULL;
    ps->first_limit = limit;
    if (!c->is_union) {
        ps->name = PyMem_Calloc(c->n + 1, sizeof(char *));
        ps->name_len = PyMem_Calloc(c->n + 1, sizeof(Py_ssize_t));
        ps->required = PyMem_Calloc(c->n + 1, 1);
        if (!ps->name || !ps->name_len || !ps->required) return PyErr_NoMemory();
        for (Py_ssize_t i = 0; i < c->n; i++) {
            ps->name[i] = PyUnicode_AsUTF8AndSize(c->names[i], &ps->name_len[i]);
            int always = PySequence_Contains(c->always, c->names[i]);
            if (ps->name[i] == NULL || always < 0) return NULL;
            ps->required[i] = always || !c->fields[i].nullable;
        }
    }
    PyObject *cap = PyCapsule_New(ps, NULL, NULL);
    if (cap == NULL || PyDict_SetItem(parse_registry, cls, cap) < 0) { Py_XDECREF(cap); return NULL; }
    Py_DECREF(cap);
    Py_RETURN_TRUE;
}

/* setup_parse(java_double, _FirstSight, OrderedSet, FrozenMap) */
static PyObject *setup_parse(PyObject *self, PyObject *args) {
    PyObject *jd, *fs, *os, *fm;
    if (!PyArg_ParseTuple(args, "OO!O!O!", &jd, &PyType_Type, &fs, &PyType_Type, &os, &PyType_Type, &fm)) return NULL;
    if (slot_offset_s(fs, "tree", &off_fs_tree) < 0 || slot_offset_s(fs, "obj", &off_fs_obj) < 0
        || slot_offset_s(fs, "span", &off_fs_span) < 0 || slot_offset_s(os, "_members", &off_set_members) < 0
        || slot_offset_s(fm, "_hash", &off_map_hash) < 0)
        return NULL;
    Py_XSETREF(java_double_fn, Py_NewRef(jd));
    first_sight = (PyTypeObject *)Py_NewRef(fs);
    if (parse_registry == NULL && (parse_registry = PyDict_New()) == NULL) return NULL;
    Py_RETURN_NONE;
}

static PyObject *parse_fallbacks(PyObject *self, PyObject *unused) {
    return PyLong_FromLongLong(parse_declined);
}

#define PARSE_METHODS \
    {"parse_event", parse_event, METH_VARARGS, \
     "parse_event(task_cls, text, ascii_only): (task, oldState member, name, canonical) read from the text, " \
     "or None (not handled)"}, \
    {"enable_parse", enable_parse, METH_VARARGS, "enable_parse(cls, first, size): read cls straight from text"}, \
    {"setup_parse", setup_parse, METH_VARARGS, "setup_parse(java_double, _FirstSight, OrderedSet, FrozenMap)"}, \
    {"parse_fallbacks", parse_fallbacks, METH_NOARGS, "How many texts parse_event handed back so far"},
