/* aurorakit.runtime._speedups: the optional compiled walker of generated models.
 *
 * One generic walker, driven by a table per class that runtime/accel.py builds
 * from the generated classes' field descriptions (_fields) and their gson
 * module's tables (_Q_, _K_, _ARMS_). It computes Java hashes and writes Gson
 * text exactly as the generated pure-Python code does, and fills the same
 * caches (_jhash, _json with its epoch rule, EPOCH). Whatever it does not
 * handle (binary fields, a value of an unexpected type, any error) makes it
 * give up: the caller then runs the pure-Python function, which gives the
 * answer or raises its own error with its own path.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <stdint.h>
#include <math.h>

enum { K_BOOL, K_INT, K_I64, K_DOUBLE, K_STRING, K_ENUM, K_STRUCT, K_LIST, K_SET, K_MAP, K_OTHER };

typedef struct Spec Spec;
typedef struct ClassSpec ClassSpec;

struct Spec {            /* a Thrift type */
    int kind;
    Spec *elem, *key;    /* list/set element, map value; map key */
    PyObject *quoted;    /* enum: member -> '"NAME"' */
    PyObject *idkey;     /* enum: member -> its identity-table key */
    PyObject *cls;       /* struct: the class */
    ClassSpec *spec;     /* struct: its table, found on first use */
    long long low, high; /* byte/i16/i32: the range a decoded value must be in */
    PyObject *by_name;   /* enum: name -> member (decoding; NULL: left to the pure decoder) */
};

typedef struct {         /* a field of a struct, or an arm of a union */
    PyObject *prefix;    /* ',"name":' (union: ',"setField":"X","value":') */
    PyObject *idkey;     /* union arm: its identity-table key */
    Py_ssize_t offset;   /* the slot holding the value */
    int nullable;        /* left out when None */
    Spec type;
} Field;

struct ClassSpec {
    PyObject *cls;
    int is_union, frozen_checks;
    Py_ssize_t n;
    Field *fields;
    PyObject *arms;      /* union: set_field -> index into fields (an int) */
    Py_ssize_t off_jhash, off_json, off_set_field, off_value;
    PyObject *py_encode, *py_hash;
    /* decoding (register_decoder): */
    PyObject **names;    /* struct: the JSON member name of each field */
    PyObject *valid;     /* struct: its Shape.valid (member sequences found valid) */
    PyObject *order;     /* struct: its Shape.order (member name -> position) */
    PyObject *always;    /* struct: its Shape.always (the members Gson always writes) */
    Py_ssize_t valid_limit; /* Shape.LIMIT */
    PyObject *interned;  /* struct: its Interned table, or None */
    PyObject *setfields; /* union: setField -> (set_field value, arm index) */
    Py_ssize_t off_pyhash;
};

static PyObject *registry;      /* class -> capsule of its ClassSpec */
static PyObject *epoch;         /* hashing.EPOCH, a one-element list */
static PyObject *gson_double;   /* runtime.gson.gson_double */
static PyObject *one;           /* the int 1 */
static PyTypeObject *ordered_set, *frozen_map;
static Py_ssize_t off_set_items, off_map_data;
static long long handed_back;   /* calls given to the pure-Python functions (see fallbacks()) */

#define SLOT(o, off) (*(PyObject **)((char *)(o) + (off)))

/* ---- building the tables ---------------------------------------------------- */
static int slot_offset(PyObject *cls, PyObject *name, Py_ssize_t *out) {
    PyObject *d = PyObject_GetAttr(cls, name);
    if (d == NULL) return -1;
    int ok = Py_IS_TYPE(d, &PyMemberDescr_Type) && ((PyMemberDescrObject *)d)->d_member->type == T_OBJECT_EX;
    if (ok) *out = ((PyMemberDescrObject *)d)->d_member->offset;
    Py_DECREF(d);
    if (!ok) PyErr_Format(PyExc_TypeError, "%R is not a slot", name);
    return ok ? 0 : -1;
}

static int slot_offset_s(PyObject *cls, const char *name, Py_ssize_t *out) {
    PyObject *n = PyUnicode_InternFromString(name);
    if (n == NULL) return -1;
    int r = slot_offset(cls, n, out);
    Py_DECREF(n);
    return r;
}

/* spec tuples from accel.py: (kind,), (K_ENUM, quoted, idkey), (K_STRUCT, cls),
   (K_LIST|K_SET, elem), (K_MAP, key, value); for decoding also (K_INT, low, high) and
   (K_ENUM, quoted, idkey, by_name) */
static int build_spec(PyObject *t, Spec *s) {
    memset(s, 0, sizeof *s);
    if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) < 1) {
        PyErr_SetString(PyExc_TypeError, "bad type spec");
        return -1;
    }
    s->kind = (int)PyLong_AsLong(PyTuple_GET_ITEM(t, 0));
    if (s->kind == -1 && PyErr_Occurred()) return -1;
    switch (s->kind) {
    case K_ENUM:
        s->quoted = Py_NewRef(PyTuple_GET_ITEM(t, 1));
        s->idkey = Py_NewRef(PyTuple_GET_ITEM(t, 2));
        if (PyTuple_GET_SIZE(t) > 3) s->by_name = Py_NewRef(PyTuple_GET_ITEM(t, 3));
        return 0;
    case K_INT:
        s->low = INT32_MIN;
        s->high = INT32_MAX;
        if (PyTuple_GET_SIZE(t) > 2) {
            s->low = PyLong_AsLongLong(PyTuple_GET_ITEM(t, 1));
            s->high = PyLong_AsLongLong(PyTuple_GET_ITEM(t, 2));
            if (PyErr_Occurred()) return -1;
        }
        return 0;
    case K_STRUCT:
        s->cls = Py_NewRef(PyTuple_GET_ITEM(t, 1));
        return 0;
    case K_LIST: case K_SET:
        s->elem = PyMem_Calloc(1, sizeof(Spec));
        if (s->elem == NULL) { PyErr_NoMemory(); return -1; }
        return build_spec(PyTuple_GET_ITEM(t, 1), s->elem);
    case K_MAP:
        s->key = PyMem_Calloc(1, sizeof(Spec));
        s->elem = PyMem_Calloc(1, sizeof(Spec));
        if (s->key == NULL || s->elem == NULL) { PyErr_NoMemory(); return -1; }
        if (build_spec(PyTuple_GET_ITEM(t, 1), s->key) < 0) return -1;
        return build_spec(PyTuple_GET_ITEM(t, 2), s->elem);
    default:
        return 0;
    }
}

/* register(cls, is_union, frozen_checks, fields, py_encode, py_hash)
   fields: ((prefix, attr or None, idkey or None, nullable, spec), ...); for a union,
   arms in the same form with the set_field as attr. */
static PyObject *register_class(PyObject *self, PyObject *args) {
    PyObject *cls, *fields, *py_encode, *py_hash;
    int is_union, frozen_checks;
    if (!PyArg_ParseTuple(args, "OppO!OO", &cls, &is_union, &frozen_checks, &PyTuple_Type, &fields,
                          &py_encode, &py_hash))
        return NULL;
    ClassSpec *c = PyMem_Calloc(1, sizeof(ClassSpec));
    if (c == NULL) return PyErr_NoMemory();
    c->cls = Py_NewRef(cls);
    c->is_union = is_union;
    c->frozen_checks = frozen_checks;
    c->n = PyTuple_GET_SIZE(fields);
    c->fields = PyMem_Calloc(c->n ? c->n : 1, sizeof(Field));
    c->py_encode = Py_NewRef(py_encode);
    c->py_hash = Py_NewRef(py_hash);
    if (c->fields == NULL) return PyErr_NoMemory();
    if (slot_offset_s(cls, "_jhash", &c->off_jhash) < 0 || slot_offset_s(cls, "_json", &c->off_json) < 0)
        return NULL;
    if (is_union) {
        c->arms = PyDict_New();
        if (c->arms == NULL) return NULL;
        if (slot_offset_s(cls, "set_field", &c->off_set_field) < 0 ||
            slot_offset_s(cls, "field_value", &c->off_value) < 0)
            return NULL;
    }
    for (Py_ssize_t i = 0; i < c->n; i++) {
        PyObject *f = PyTuple_GET_ITEM(fields, i);
        Field *fd = &c->fields[i];
        PyObject *attr = PyTuple_GET_ITEM(f, 1), *idkey = PyTuple_GET_ITEM(f, 2);
        fd->prefix = Py_NewRef(PyTuple_GET_ITEM(f, 0));
        fd->idkey = idkey == Py_None ? NULL : Py_NewRef(idkey);
        fd->nullable = PyObject_IsTrue(PyTuple_GET_ITEM(f, 3));
        if (build_spec(PyTuple_GET_ITEM(f, 4), &fd->type) < 0) return NULL;
        if (is_union) {
            PyObject *index = PyLong_FromSsize_t(i);
            if (index == NULL || PyDict_SetItem(c->arms, attr, index) < 0) return NULL;
            Py_DECREF(index);
        } else if (slot_offset(cls, attr, &fd->offset) < 0) {
            return NULL;
        }
    }
    PyObject *capsule = PyCapsule_New(c, NULL, NULL);
    if (capsule == NULL || PyDict_SetItem(registry, cls, capsule) < 0) return NULL;
    Py_DECREF(capsule);
    Py_RETURN_NONE;
}

static ClassSpec *class_spec(PyObject *cls) {
    PyObject *capsule = PyDict_GetItemWithError(registry, cls);
    return capsule == NULL ? NULL : (ClassSpec *)PyCapsule_GetPointer(capsule, NULL);
}

/* The table of a struct value of type s; NULL (no error set, or one) when it is not the class expected. */
static ClassSpec *struct_spec(Spec *s, PyObject *v) {
    if ((PyObject *)Py_TYPE(v) != s->cls) return NULL;
    if (s->spec == NULL) s->spec = class_spec(s->cls);
    return s->spec;
}

/* ---- Java hashes --------------------------------------------------------------- */
/* Java's String.hashCode (h = 31 * h + c over UTF-16 units), four units a step where
   they are narrow: the same sum mod 2^32, without one multiply waiting on the last. */
static int string_hash(PyObject *s, uint32_t *out) {
    if (!PyUnicode_CheckExact(s)) return -1;
    Py_ssize_t n = PyUnicode_GET_LENGTH(s), i = 0;
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    uint32_t h = 0;
    if (kind == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *p = data;
        for (; i + 4 <= n; i += 4)
            h = h * 923521u + p[i] * 29791u + p[i + 1] * 961u + p[i + 2] * 31u + p[i + 3];
        for (; i < n; i++) h = 31 * h + p[i];
    } else if (kind == PyUnicode_2BYTE_KIND) {
        const Py_UCS2 *p = data;
        for (; i + 4 <= n; i += 4)
            h = h * 923521u + p[i] * 29791u + p[i + 1] * 961u + p[i + 2] * 31u + p[i + 3];
        for (; i < n; i++) h = 31 * h + p[i];
    } else {
        const Py_UCS4 *p = data;
        for (; i < n; i++) {
            Py_UCS4 c = p[i];
            if (c > 0xFFFF) {  /* outside the BMP: its two UTF-16 surrogates */
                c -= 0x10000;
                h = 31 * h + (0xD800 + (c >> 10));
                h = 31 * h + (0xDC00 + (c & 0x3FF));
            } else {
                h = 31 * h + c;
            }
        }
    }
    *out = h;
    return 0;
}

typedef struct {         /* one java_hash call */
    PyObject *ids;       /* the identity table */
    int plain_ids;       /* a dict whose [] is dict's own: looked up without a call */
    Py_ssize_t moved;    /* hashes cached whose EPOCH step is still to be taken */
} HashRun;

static int hash_value(Spec *s, PyObject *v, HashRun *run, uint32_t *out);

/* EPOCH[0] += run->moved: taken before anything Python runs, and at the end, so that no
   code sees a hash cached and EPOCH not yet moved on (the generated code moves it at once) */
static int flush_epoch(HashRun *run) {
    if (run->moved == 0) return 0;
    PyObject *step = PyLong_FromSsize_t(run->moved);
    if (step == NULL) return -1;
    PyObject *moved = PyNumber_Add(PyList_GET_ITEM(epoch, 0), step);
    Py_DECREF(step);
    run->moved = 0;
    return moved == NULL ? -1 : PyList_SetItem(epoch, 0, moved);  /* steals moved, drops the old value */
}

static int plain_dict(PyObject *ids) {  /* ids[key] is dict's lookup (then __missing__) */
    static PyTypeObject *known;
    static PyObject *dict_getitem;
    PyTypeObject *t = Py_TYPE(ids);
    if (t == &PyDict_Type || t == known) return 1;
    if (!PyDict_Check(ids)) return 0;
    if (dict_getitem == NULL) {
        dict_getitem = PyDict_GetItemString(PyDict_Type.tp_dict, "__getitem__");
        if (dict_getitem == NULL) return 0;
    }
    PyObject *name = PyUnicode_InternFromString("__getitem__");
    if (name == NULL) { PyErr_Clear(); return 0; }
    int same = _PyType_Lookup(t, name) == dict_getitem;
    Py_DECREF(name);
    if (same) known = t;
    return same;
}

/* The identity hash ids[key] (a dict subclass's __missing__ included) */
static int identity_hash(HashRun *run, PyObject *key, uint32_t *out) {
    PyObject *id;
    if (run->plain_ids && (id = PyDict_GetItemWithError(run->ids, key)) != NULL) {
        *out = (uint32_t)PyLong_AsLongLong(id);
        return PyErr_Occurred() ? -1 : 0;
    }
    if (PyErr_Occurred() || flush_epoch(run) < 0) return -1;
    id = PyObject_GetItem(run->ids, key);
    if (id == NULL) return -1;
    *out = (uint32_t)PyLong_AsLongLong(id);
    Py_DECREF(id);
    return PyErr_Occurred() ? -1 : 0;
}

static int hash_struct(ClassSpec *c, PyObject *o, HashRun *run, uint32_t *out) {
    PyObject *cached = SLOT(o, c->off_jhash);
    if (cached == NULL || !PyLong_CheckExact(cached)) return -1;
    long jhash = PyLong_AsLong(cached);
    if (jhash == -1 && PyErr_Occurred()) return -1;
    if (jhash) { *out = (uint32_t)jhash; return 0; }
    uint32_t h;
    if (c->is_union) {
        PyObject *set_field = SLOT(o, c->off_set_field), *value = SLOT(o, c->off_value);
        if (set_field == NULL || value == NULL) return -1;
        PyObject *index = PyDict_GetItemWithError(c->arms, set_field);
        if (index == NULL) return -1;
        Field *arm = &c->fields[PyLong_AsSsize_t(index)];
        uint32_t idh, vh;
        if (identity_hash(run, arm->idkey, &idh) < 0) return -1;
        if (value == Py_None || hash_value(&arm->type, value, run, &vh) < 0) return -1;
        h = 31 * (31 + idh) + vh;
    } else {
        h = 1;
        for (Py_ssize_t i = 0; i < c->n; i++) {
            Field *f = &c->fields[i];
            PyObject *v = SLOT(o, f->offset);
            uint32_t x = 0;
            if (v == NULL) return -1;
            if (v != Py_None) {
                if (hash_value(&f->type, v, run, &x) < 0) return -1;
            } else if (!f->nullable) {
                return -1;
            }
            h = 31 * h + x;
        }
    }
    if (h) {
        PyObject *value = PyLong_FromLong((long)(int32_t)h);
        if (value == NULL) return -1;
        Py_XSETREF(SLOT(o, c->off_jhash), value);
        run->moved++;  /* JSON cached before is stale (see flush_epoch) */
    }
    *out = h;
    return 0;
}

static int container_items(Spec *s, PyObject *v, PyObject **items) {
    if (s->kind == K_LIST && PyTuple_CheckExact(v)) { *items = v; return 0; }
    if (s->kind == K_SET && Py_TYPE(v) == ordered_set) {
        *items = SLOT(v, off_set_items);
        return *items != NULL && PyTuple_CheckExact(*items) ? 0 : -1;
    }
    return -1;
}

static int hash_value(Spec *s, PyObject *v, HashRun *run, uint32_t *out) {
    switch (s->kind) {
    case K_BOOL:
        if (v == Py_True) *out = 1231; else if (v == Py_False) *out = 1237; else return -1;
        return 0;
    case K_INT: case K_I64: {
        if (!PyLong_CheckExact(v)) return -1;
        long long x = PyLong_AsLongLong(v);
        if (x == -1 && PyErr_Occurred()) return -1;
        uint64_t u = (uint64_t)x;
        *out = s->kind == K_INT ? (uint32_t)u : (uint32_t)(u ^ (u >> 32));
        return 0;
    }
    case K_DOUBLE: {
        if (!PyFloat_CheckExact(v)) return -1;
        double d = PyFloat_AS_DOUBLE(v);
        uint64_t bits;
        if (d != d) bits = 0x7FF8000000000000ULL;  /* every NaN is the canonical one */
        else memcpy(&bits, &d, sizeof bits);
        *out = (uint32_t)(bits ^ (bits >> 32));
        return 0;
    }
    case K_STRING:
        return string_hash(v, out);
    case K_ENUM: {
        PyObject *key = PyDict_GetItemWithError(s->idkey, v);
        return key == NULL ? -1 : identity_hash(run, key, out);
    }
    case K_STRUCT: {
        ClassSpec *c = struct_spec(s, v);
        return c == NULL ? -1 : hash_struct(c, v, run, out);
    }
    case K_LIST: case K_SET: {
        PyObject *items;
        if (container_items(s, v, &items) < 0) return -1;
        uint32_t h = s->kind == K_LIST ? 1 : 0, x;
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(items); i++) {
            if (hash_value(s->elem, PyTuple_GET_ITEM(items, i), run, &x) < 0) return -1;
            h = s->kind == K_LIST ? 31 * h + x : h + x;
        }
        *out = h;
        return 0;
    }
    case K_MAP: {
        if (Py_TYPE(v) != frozen_map) return -1;
        PyObject *data = SLOT(v, off_map_data), *key, *value;
        if (data == NULL || !PyDict_CheckExact(data)) return -1;
        Py_ssize_t pos = 0;
        uint32_t h = 0, hk, hv;
        while (PyDict_Next(data, &pos, &key, &value)) {
            if (hash_value(s->key, key, run, &hk) < 0 || hash_value(s->elem, value, run, &hv) < 0) return -1;
            h += hk ^ hv;
        }
        *out = h;
        return 0;
    }
    default:
        return -1;
    }
}

/* java_hash(obj, ids): the class's _java_hash */
static PyObject *java_hash(PyObject *self, PyObject *args) {
    PyObject *obj, *ids;
    if (!PyArg_ParseTuple(args, "OO", &obj, &ids)) return NULL;
    ClassSpec *c = class_spec((PyObject *)Py_TYPE(obj));
    if (c == NULL) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_TypeError, "%s has no accelerated hash", Py_TYPE(obj)->tp_name);
        return NULL;
    }
    HashRun run = {ids, plain_dict(ids), 0};
    uint32_t h;
    int r = hash_struct(c, obj, &run, &h);
    if (flush_epoch(&run) < 0) r = -1;
    if (r == 0) return PyLong_FromLong((long)(int32_t)h);
    PyErr_Clear();
    handed_back++;
    return PyObject_CallFunctionObjArgs(c->py_hash, obj, ids, NULL);
}

/* ---- Gson text ------------------------------------------------------------------
 * One call writes into one buffer: one byte a character (Latin-1) until a wider
 * character comes, four from then on. An object's text is the run of the buffer it
 * wrote, made a str only where it is kept (its _json cache, or the call's result);
 * the buffer is kept for the next call. */
typedef struct {
    char *data;            /* Py_UCS1 characters, or Py_UCS4 once wide */
    size_t size;           /* bytes allocated */
    Py_ssize_t len;        /* characters written */
    int wide;
    int non_ascii;         /* narrow: a character above 127 written since the current object began */
    int depth;
} Buf;

#define MAX_DEPTH 200      /* deeper objects are left to the pure-Python encoder (its RecursionError) */
#define ROOM(b, n) ((Py_ssize_t)((b)->size >> ((b)->wide ? 2 : 0)) - (b)->len >= (n) || buf_grow((b), (n)) == 0)

static PyObject *written;  /* hashing.WRITTEN (set_written) */
static char *spare_data;   /* the buffer of the last call, when no call holds it */
static size_t spare_size;

static void buf_open(Buf *b) {
    memset(b, 0, sizeof *b);
    if (spare_data != NULL) {  /* taken under the GIL: a call on another thread gets its own */
        b->data = spare_data;
        b->size = spare_size;
        spare_data = NULL;
    }
}

static void buf_close(Buf *b) {
    if (spare_data == NULL && b->size <= ((size_t)1 << 20)) {
        spare_data = b->data;
        spare_size = b->size;
    } else {
        PyMem_Free(b->data);
    }
}

static int buf_grow(Buf *b, Py_ssize_t n) {  /* room for n more characters */
    int shift = b->wide ? 2 : 0;
    size_t need = ((size_t)b->len + (size_t)n) << shift, size = b->size ? b->size : 4096;
    if ((size_t)n > (size_t)PY_SSIZE_T_MAX >> 3) { PyErr_NoMemory(); return -1; }
    while (size < need) size *= 2;
    char *data = PyMem_Realloc(b->data, size);
    if (data == NULL) { PyErr_NoMemory(); return -1; }
    b->data = data;
    b->size = size;
    return 0;
}

static int buf_widen(Buf *b) {  /* from one byte a character to four */
    size_t size = b->size > ((size_t)b->len << 2) ? b->size : ((size_t)b->len << 2) + 4096;
    Py_UCS4 *wide = PyMem_Malloc(size);
    if (wide == NULL) { PyErr_NoMemory(); return -1; }
    for (Py_ssize_t i = 0; i < b->len; i++) wide[i] = (Py_UCS1)b->data[i];
    PyMem_Free(b->data);
    b->data = (char *)wide;
    b->size = size;
    b->wide = 1;
    return 0;
}

static int buf_ascii(Buf *b, const char *s, Py_ssize_t n) {
    if (!ROOM(b, n)) return -1;
    if (!b->wide) {
        memcpy(b->data + b->len, s, n);
    } else {
        Py_UCS4 *p = (Py_UCS4 *)b->data + b->len;
        for (Py_ssize_t i = 0; i < n; i++) p[i] = (unsigned char)s[i];
    }
    b->len += n;
    return 0;
}

#define buf_lit(b, s) buf_ascii((b), (s), (Py_ssize_t)(sizeof(s) - 1))

static int buf_char(Buf *b, char c) {
    if (!ROOM(b, 1)) return -1;
    if (!b->wide) b->data[b->len++] = c; else ((Py_UCS4 *)b->data)[b->len++] = (unsigned char)c;
    return 0;
}

static int buf_str(Buf *b, PyObject *s) {  /* a str as it is (text cached before) */
    if (!PyUnicode_CheckExact(s)) return -1;
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    int kind = PyUnicode_KIND(s);
    if (kind != PyUnicode_1BYTE_KIND && !b->wide && buf_widen(b) < 0) return -1;
    if (!ROOM(b, n)) return -1;
    const void *data = PyUnicode_DATA(s);
    if (!b->wide) {
        memcpy(b->data + b->len, data, n);
        b->non_ascii |= !PyUnicode_IS_ASCII(s);
    } else if (kind == PyUnicode_4BYTE_KIND) {
        memcpy((Py_UCS4 *)b->data + b->len, data, n * 4);
    } else {
        Py_UCS4 *p = (Py_UCS4 *)b->data + b->len;
        for (Py_ssize_t i = 0; i < n; i++) p[i] = PyUnicode_READ(kind, data, i);
    }
    b->len += n;
    return 0;
}

/* The characters Gson escapes below 256: '"' and '\\', the controls, and < > & = ' (HTML-safe) */
static const unsigned char escaped[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    ['"'] = 1, ['\\'] = 1, ['<'] = 1, ['>'] = 1, ['&'] = 1, ['='] = 1, ['\''] = 1,
};
static const char hex[] = "0123456789abcdef";

static int escape_char(Py_UCS4 ch, char *buf) {  /* the escape Gson writes for ch (one it escapes) */
    switch (ch) {
    case '"': case '\\': buf[0] = '\\'; buf[1] = (char)ch; return 2;
    case '\t': memcpy(buf, "\\t", 2); return 2;
    case '\b': memcpy(buf, "\\b", 2); return 2;
    case '\n': memcpy(buf, "\\n", 2); return 2;
    case '\r': memcpy(buf, "\\r", 2); return 2;
    case '\f': memcpy(buf, "\\f", 2); return 2;
    default:  /* controls, < > & = ' and U+2028, U+2029: \uXXXX in lower-case hex */
        buf[0] = '\\'; buf[1] = 'u';
        buf[2] = hex[(ch >> 12) & 15]; buf[3] = hex[(ch >> 8) & 15]; buf[4] = hex[(ch >> 4) & 15]; buf[5] = hex[ch & 15];
        return 6;
    }
}

static int write_string(Buf *b, PyObject *s) {  /* Gson's quoted, escaped string */
    if (!PyUnicode_CheckExact(s)) return -1;
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    if (n > PY_SSIZE_T_MAX / 8) return -1;
    if (kind == PyUnicode_1BYTE_KIND && !b->wide) {
        if (!ROOM(b, 6 * n + 2)) return -1;  /* every character escaped, at most */
        const Py_UCS1 *p = data;
        Py_UCS1 *out = (Py_UCS1 *)b->data + b->len, *start = out;
        *out++ = '"';
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_UCS1 ch = p[i];
            if (escaped[ch]) out += escape_char(ch, (char *)out); else *out++ = ch;
        }
        *out++ = '"';
        b->len += out - start;
        b->non_ascii |= !PyUnicode_IS_ASCII(s);  /* what is escaped is ASCII: the rest stays */
        return 0;
    }
    if (!b->wide && buf_widen(b) < 0) return -1;
    if (!ROOM(b, 6 * n + 2)) return -1;
    Py_UCS4 *out = (Py_UCS4 *)b->data + b->len, *start = out;
    char esc[8];
    *out++ = '"';
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (ch < 256 ? escaped[ch] : ch == 0x2028 || ch == 0x2029) {
            int len = escape_char(ch, esc);
            for (int k = 0; k < len; k++) *out++ = (unsigned char)esc[k];
        } else {
            *out++ = ch;
        }
    }
    *out++ = '"';
    b->len += out - start;
    return 0;
}

static int write_int(Buf *b, PyObject *v) {
    if (!PyLong_CheckExact(v)) return -1;
    long long x = PyLong_AsLongLong(v);
    if (x == -1 && PyErr_Occurred()) return -1;
    char digits[24], *p = digits + sizeof digits;
    unsigned long long u = x < 0 ? 0ULL - (unsigned long long)x : (unsigned long long)x;
    do { *--p = (char)('0' + u % 10); u /= 10; } while (u);
    if (x < 0) *--p = '-';
    return buf_ascii(b, p, digits + sizeof digits - p);
}

#define SHORT_DOUBLE 40  /* room for the text short_double writes */

/* Java's Double.toString of d into out where no rule of runtime/doubles.py but the layout applies
   (repr's digits; from 1e-3 to 1e7 repr's text, elsewhere d.dddE<exp>): its length; 0 where Java's own
   rules decide (gson_double: NaN, infinities, powers of two, 2^54 <= |d| < 2^133, below 1e-322); -1
   on an error. The parser's test of a double's text (runtime/_decode.c) uses it too. */
static int short_double(double d, char out[SHORT_DOUBLE]) {
    double a = fabs(d);
    int e2, plain = a >= 1e-3 && a < 1e7;
    if (d == 0.0) {
        memcpy(out, signbit(d) ? "-0.0" : "0.0", signbit(d) ? 4 : 3);
        return signbit(d) ? 4 : 3;
    }
    if (!isfinite(d) || (!plain && ((a >= 0x1p54 && a < 0x1p133) || a < 1e-322 || frexp(a, &e2) == 0.5)))
        return 0;
    char *text = PyOS_double_to_string(d, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
    if (text == NULL) return -1;
    size_t n = strlen(text);
    int len = 0;
    if (n + 8 >= SHORT_DOUBLE) goto done;  /* never: 17 digits at most */
    if (plain) {
        memcpy(out, text, n);
        len = (int)n;
        goto done;
    }
    const char *p = text, *e = strchr(text, 'e');
    char digits[24];
    int nd = 0, exp10;
    if (*p == '-') { out[len++] = '-'; p++; }
    if (e != NULL) {  /* d.ddde-XX: only the layout changes */
        for (; p < e; p++) if (*p != '.') digits[nd++] = *p;
        exp10 = atoi(e + 1);
    } else {  /* 1e7 <= a < 1e16 (ddddddd.ddd) or 1e-4 <= a < 1e-3 (0.000ddd) */
        const char *dot = strchr(p, '.');
        if (dot == NULL) goto done;
        if (!(dot - p == 1 && *p == '0')) {
            exp10 = (int)(dot - p) - 1;
            for (; *p; p++) if (*p != '.') digits[nd++] = *p;
        } else {
            const char *q = dot + 1;
            while (*q == '0') q++;
            exp10 = -(int)(q - dot);
            for (; *q; q++) digits[nd++] = *q;
        }
    }
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    out[len++] = digits[0];
    out[len++] = '.';
    if (nd > 1) { memcpy(out + len, digits + 1, nd - 1); len += nd - 1; } else out[len++] = '0';
    len += snprintf(out + len, SHORT_DOUBLE - len, "E%d", exp10);
done:
    PyMem_Free(text);
    return len;
}

static int write_double(Buf *b, PyObject *v) {
    if (!PyFloat_CheckExact(v)) return -1;
    char text_in_c[SHORT_DOUBLE];
    int n = short_double(PyFloat_AS_DOUBLE(v), text_in_c);
    if (n != 0) return n < 0 ? -1 : buf_ascii(b, text_in_c, n);
    PyObject *text = PyObject_CallOneArg(gson_double, v);  /* Java's own rules: runtime/doubles.py */
    if (text == NULL) return -1;
    int r = buf_str(b, text);
    Py_DECREF(text);
    return r;
}

static int write_struct(ClassSpec *c, PyObject *o, Buf *b, int *final, PyObject **text_out);

/* Write v of type s; *final is cleared when v's JSON may still change (an unhashed object inside). */
static int write_value(Buf *b, Spec *s, PyObject *v, int *final) {
    switch (s->kind) {
    case K_BOOL:
        if (v == Py_True) return buf_lit(b, "true");
        if (v == Py_False) return buf_lit(b, "false");
        return -1;
    case K_INT: case K_I64:
        return write_int(b, v);
    case K_DOUBLE:
        return write_double(b, v);
    case K_STRING:
        return write_string(b, v);
    case K_ENUM: {
        PyObject *text = PyDict_GetItemWithError(s->quoted, v);
        return text == NULL ? -1 : buf_str(b, text);
    }
    case K_STRUCT: {
        ClassSpec *c = struct_spec(s, v);
        if (c == NULL) return -1;
        int child_final;
        if (write_struct(c, v, b, &child_final, NULL) < 0) return -1;
        *final &= child_final;
        return 0;
    }
    case K_LIST: case K_SET: {
        PyObject *items;
        if (container_items(s, v, &items) < 0 || buf_char(b, '[') < 0) return -1;
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(items); i++) {
            if (i && buf_char(b, ',') < 0) return -1;
            if (write_value(b, s->elem, PyTuple_GET_ITEM(items, i), final) < 0) return -1;
        }
        return buf_char(b, ']');
    }
    case K_MAP: {
        if (Py_TYPE(v) != frozen_map) return -1;
        PyObject *data = SLOT(v, off_map_data), *key, *value;
        if (data == NULL || !PyDict_CheckExact(data) || buf_char(b, '{') < 0) return -1;
        Py_ssize_t pos = 0;
        int first = 1;
        while (PyDict_Next(data, &pos, &key, &value)) {
            if (!first && buf_char(b, ',') < 0) return -1;
            first = 0;
            switch (s->key->kind) {  /* Gson writes String.valueOf(key), quoted */
            case K_STRING: case K_ENUM:
                if (write_value(b, s->key, key, final) < 0) return -1;
                break;
            case K_INT: case K_I64: case K_BOOL:
                if (buf_char(b, '"') < 0 || write_value(b, s->key, key, final) < 0 || buf_char(b, '"') < 0)
                    return -1;
                break;
            default:
                return -1;
            }
            if (buf_char(b, ':') < 0 || write_value(b, s->elem, value, final) < 0) return -1;
        }
        return buf_char(b, '}');
    }
    default:
        return -1;
    }
}

static PyObject *buf_text(Buf *b, Py_ssize_t start) {  /* the str of what was written from start on */
    Py_ssize_t n = b->len - start;
    if (b->wide) return PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, (Py_UCS4 *)b->data + start, n);
    PyObject *text = PyUnicode_New(n, b->non_ascii ? 255 : 127);
    if (text != NULL) memcpy(PyUnicode_1BYTE_DATA(text), b->data + start, n);
    return text;
}

/* Write o's Gson text at the end of b, caching it as the generated encoder does. With
   text_out, *text_out is set to the text (new reference), and a cached one is not written. */
static int write_struct(ClassSpec *c, PyObject *o, Buf *b, int *final, PyObject **text_out) {
    PyObject *cached = SLOT(o, c->off_json), *jhash = SLOT(o, c->off_jhash), *hit = NULL;
    if (cached == NULL || jhash == NULL) return -1;
    PyObject *now = PyList_GET_ITEM(epoch, 0);
    if (PyUnicode_CheckExact(cached)) {
        *final = 1;
        hit = cached;
    } else if (PyTuple_CheckExact(cached) && PyTuple_GET_SIZE(cached) == 2) {
        PyObject *at = PyTuple_GET_ITEM(cached, 1);
        int same = at == now ? 1 : PyObject_RichCompareBool(at, now, Py_EQ);
        if (same < 0) return -1;
        if (same) {
            *final = 0;
            hit = PyTuple_GET_ITEM(cached, 0);
        }
    } else if (cached != Py_None) {
        return -1;
    }
    if (hit != NULL) {
        if (text_out == NULL) return buf_str(b, hit);
        if (!PyUnicode_CheckExact(hit)) return -1;
        *text_out = Py_NewRef(hit);
        return 0;
    }
    if (b->depth >= MAX_DEPTH) return -1;
    Py_ssize_t start = b->len;
    int outer_non_ascii = b->non_ascii, all_final = 1, r = -1;
    b->non_ascii = 0;
    b->depth++;
    Py_INCREF(now);  /* the epoch the text is written in */
    if (buf_lit(b, "{\"cachedHashCode\":") < 0 || write_int(b, jhash) < 0) goto done;
    if (c->is_union) {
        PyObject *set_field = SLOT(o, c->off_set_field), *value = SLOT(o, c->off_value);
        if (set_field == NULL || value == NULL || value == Py_None) goto done;
        PyObject *index = PyDict_GetItemWithError(c->arms, set_field);
        if (index == NULL) goto done;
        Field *arm = &c->fields[PyLong_AsSsize_t(index)];
        if (buf_str(b, arm->prefix) < 0 || write_value(b, &arm->type, value, &all_final) < 0) goto done;
    } else {
        for (Py_ssize_t i = 0; i < c->n; i++) {
            Field *f = &c->fields[i];
            PyObject *v = SLOT(o, f->offset);
            if (v == NULL) goto done;
            if (v == Py_None) {
                if (f->nullable) continue;
                goto done;
            }
            if (buf_str(b, f->prefix) < 0 || write_value(b, &f->type, v, &all_final) < 0) goto done;
        }
    }
    if (buf_char(b, '}') < 0) goto done;
    int hashed = PyObject_IsTrue(jhash);
    if (hashed < 0) goto done;
    /* The same rule as the generated encoders: written once, an object keeps no text (it leaves
       hashing.WRITTEN); from then on a union, or a struct with no struct inside, keeps its text with
       the epoch it was written in, and a struct holding structs keeps it only once final. */
    int first = cached == Py_None;
    *final = hashed && all_final && !first;  /* final for the parent: this _json is a str */
    int keep = !first && (*final || c->is_union || !c->frozen_checks);
    PyObject *text = NULL;
    if (keep || text_out != NULL) {
        text = buf_text(b, start);
        if (text == NULL) goto done;
    }
    if (first) {
        if (written == NULL) { Py_XDECREF(text); goto done; }
        Py_XSETREF(SLOT(o, c->off_json), Py_NewRef(written));
    } else if (*final) {
        Py_XSETREF(SLOT(o, c->off_json), Py_NewRef(text));
    } else if (keep) {
        PyObject *pair = hashed && !c->is_union ? Py_NewRef(text) : PyTuple_Pack(2, text, now);
        if (pair == NULL) { Py_DECREF(text); goto done; }
        Py_XSETREF(SLOT(o, c->off_json), pair);
    }
    if (text_out != NULL) *text_out = text; else Py_XDECREF(text);
    r = 0;
done:
    Py_DECREF(now);
    b->depth--;
    b->non_ascii |= outer_non_ascii;
    return r;
}

/* set_written(WRITTEN): the _json of an object holding structs written once (runtime/hashing.py) */
static PyObject *set_written(PyObject *self, PyObject *value) {
    Py_XSETREF(written, Py_NewRef(value));
    Py_RETURN_NONE;
}

/* encode(obj): the class's _gson_encode */
static PyObject *encode(PyObject *self, PyObject *obj) {
    ClassSpec *c = class_spec((PyObject *)Py_TYPE(obj));
    if (c == NULL) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_TypeError, "%s has no accelerated encoder", Py_TYPE(obj)->tp_name);
        return NULL;
    }
    Buf b;
    buf_open(&b);
    int final;
    PyObject *text = NULL;
    int r = write_struct(c, obj, &b, &final, &text);
    buf_close(&b);
    if (r == 0) return text;
    PyErr_Clear();
    handed_back++;
    return PyObject_CallOneArg(c->py_encode, obj);
}

enum { FORM_TEXT, FORM_LATIN1, FORM_UTF8, FORM_LOW8 };  /* the forms write_event gives (accel.py) */

/* The bytes of a wide buffer, as Java's String.getBytes writes them: each UTF-16 unit's low byte
   (LOW8), or the characters, a surrogate pair one, in Latin-1 or UTF-8 with '?' for what the
   charset cannot hold (a lone surrogate, or above U+00FF in Latin-1): runtime/aurora/profiles.py */
static PyObject *wide_bytes(Buf *b, int form) {
    const Py_UCS4 *p = (const Py_UCS4 *)b->data;
    Py_ssize_t n = b->len, i = 0;
    if (n > PY_SSIZE_T_MAX / 4) return PyErr_NoMemory();
    PyObject *out = PyBytes_FromStringAndSize(NULL, form == FORM_UTF8 ? 4 * n : form == FORM_LOW8 ? 2 * n : n);
    if (out == NULL) return NULL;
    unsigned char *start = (unsigned char *)PyBytes_AS_STRING(out), *q = start;
    while (i < n) {
        Py_UCS4 c = p[i++];
        if (c < 0x80) { *q++ = (unsigned char)c; continue; }  /* the usual character, in every form */
        if (form == FORM_LOW8) {
            if (c > 0xFFFF) {
                *q++ = (unsigned char)(0xD800 + ((c - 0x10000) >> 10));
                c = 0xDC00 + ((c - 0x10000) & 0x3FF);
            }
            *q++ = (unsigned char)c;
            continue;
        }
        if (c >= 0xD800 && c <= 0xDBFF && i < n && p[i] >= 0xDC00 && p[i] <= 0xDFFF)
            c = 0x10000 + ((c - 0xD800) << 10) + (p[i++] - 0xDC00);  /* a pair: one character */
        if (form == FORM_LATIN1) {
            *q++ = c <= 0xFF ? (unsigned char)c : '?';
        } else if (c >= 0xD800 && c <= 0xDFFF) {
            *q++ = '?';
        } else if (c < 0x800) {
            *q++ = (unsigned char)(0xC0 | (c >> 6));
            *q++ = (unsigned char)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            *q++ = (unsigned char)(0xE0 | (c >> 12));
            *q++ = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
            *q++ = (unsigned char)(0x80 | (c & 0x3F));
        } else {
            *q++ = (unsigned char)(0xF0 | (c >> 18));
            *q++ = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
            *q++ = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
            *q++ = (unsigned char)(0x80 | (c & 0x3F));
        }
    }
    if (_PyBytes_Resize(&out, q - start) < 0) return NULL;
    return out;
}

static PyObject *buf_bytes(Buf *b, int form) {  /* the whole buffer in that form */
    if (b->wide) return wide_bytes(b, form);
    if (form != FORM_UTF8 || !b->non_ascii) return PyBytes_FromStringAndSize(b->data, b->len);
    Py_ssize_t n = b->len;
    const Py_UCS1 *p = (const Py_UCS1 *)b->data;
    for (Py_ssize_t i = 0; i < b->len; i++) n += p[i] >> 7;
    PyObject *out = PyBytes_FromStringAndSize(NULL, n);
    if (out == NULL) return NULL;
    unsigned char *q = (unsigned char *)PyBytes_AS_STRING(out);
    for (Py_ssize_t i = 0; i < b->len; i++) {
        if (p[i] < 0x80) {
            *q++ = p[i];
        } else {
            *q++ = (unsigned char)(0xC0 | (p[i] >> 6));
            *q++ = (unsigned char)(0x80 | (p[i] & 0x3F));
        }
    }
    return out;
}

/* write_event(task, tail, form): '{"task":' + the task's text + tail, as a str (FORM_TEXT) or
   the bytes of that text in Latin-1, UTF-8 or the low byte of each UTF-16 unit; None when
   handed back (the caller's pure-Python path then gives the answer or the error). */
static PyObject *write_event(PyObject *self, PyObject *args) {
    PyObject *task, *tail;
    int form, final;
    if (!PyArg_ParseTuple(args, "OUi", &task, &tail, &form)) return NULL;
    if (form < FORM_TEXT || form > FORM_LOW8) {
        PyErr_Format(PyExc_ValueError, "unknown form %d", form);
        return NULL;
    }
    ClassSpec *c = class_spec((PyObject *)Py_TYPE(task));
    if (c == NULL) {
        if (PyErr_Occurred()) return NULL;
        Py_RETURN_NONE;
    }
    Buf b;
    buf_open(&b);
    PyObject *out = NULL;
    if (buf_lit(&b, "{\"task\":") == 0 && write_struct(c, task, &b, &final, NULL) == 0 && buf_str(&b, tail) == 0)
        out = form == FORM_TEXT ? buf_text(&b, 0) : buf_bytes(&b, form);
    buf_close(&b);
    if (out == NULL) {  /* handed back: the caller's pure-Python path gives the answer or the error */
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    return out;
}

/* ---- decoding: typed objects from the parsed tree -------------------------------
 * The same tables drive a builder of the objects the generated _dec_* functions
 * make, with the same attributes and caches (_jhash as read, _json and _pyhash
 * None) and the same interning (the class's Interned table, called as they call
 * it). Anything irregular (a member sequence not already found valid, a missing
 * or null member, a value of another type, a number out of range, an unknown enum
 * name or setField, a set with equal elements) returns "not handled" (NULL with
 * no error set) and the caller runs the pure-Python decoder from the start, so
 * that every error keeps its type, message and path. */
#define NOT_HANDLED NULL
#define DEC_DEPTH 64     /* deeper trees are left to the pure decoder (its RecursionError rule) */

static PyObject *exact_double, *needs_exact_text; /* read_values.ExactDouble, NeedsExactText (setup) */
static PyObject *from_unique, *map_wrap, *str_members, *str_key, *str_get, *str_add, *str_chc;
static long long dec_handed_back;

static PyObject *build_struct(ClassSpec *c, PyObject *d, int depth, int *hashed);

/* Build v as type s; *hashed is cleared when a struct inside has cachedHashCode 0 (fully_hashed's rule). */
static PyObject *build_value(Spec *s, PyObject *v, int depth, int *hashed) {
    switch (s->kind) {
    case K_BOOL:
        return v == Py_True || v == Py_False ? Py_NewRef(v) : NOT_HANDLED;
    case K_INT: {
        if (!PyLong_CheckExact(v)) return NOT_HANDLED;
        int overflow;
        long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (overflow || (x == -1 && PyErr_Occurred())) { PyErr_Clear(); return NOT_HANDLED; }
        return x >= s->low && x <= s->high ? Py_NewRef(v) : NOT_HANDLED;
    }
    case K_I64: {
        if (!PyLong_CheckExact(v)) return NOT_HANDLED;
        int overflow;
        long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (overflow || (x == -1 && PyErr_Occurred())) { PyErr_Clear(); return NOT_HANDLED; }
        return Py_NewRef(v);
    }
    case K_DOUBLE: {  /* read_values.double_value; beyond 2^63 a double may need its text (NeedsExactText) */
        if (PyFloat_CheckExact(v)) {
            double x = PyFloat_AS_DOUBLE(v);
            if (x > -9.223372036854776e18 && x < 9.223372036854776e18) return Py_NewRef(v);
            if (!isfinite(x)) return NOT_HANDLED;
            /* what the pure decoder raises here too (everything before it was regular): read_json then
               parses the text again with exact large doubles */
            PyErr_SetNone(needs_exact_text);
            return NULL;
        }
        if ((PyObject *)Py_TYPE(v) == exact_double) return PyFloat_FromDouble(PyFloat_AS_DOUBLE(v));
        if (PyLong_CheckExact(v)) {  /* an integer written for a double: only when exactly a finite double */
            double x = PyLong_AsDouble(v);
            if (x == -1.0 && PyErr_Occurred()) return NULL;
            if (!isfinite(x)) return NOT_HANDLED;
            PyObject *back = PyLong_FromDouble(x);
            if (back == NULL) return NULL;
            int same = PyObject_RichCompareBool(back, v, Py_EQ);
            Py_DECREF(back);
            return same == 1 ? PyFloat_FromDouble(x) : NOT_HANDLED;
        }
        return NOT_HANDLED;
    }
    case K_STRING:
        return PyUnicode_CheckExact(v) ? Py_NewRef(v) : NOT_HANDLED;
    case K_ENUM: {
        if (!PyUnicode_CheckExact(v) || s->by_name == NULL) return NOT_HANDLED;
        PyObject *member = PyDict_GetItemWithError(s->by_name, v);
        return member == NULL ? NOT_HANDLED : Py_NewRef(member);
    }
    case K_STRUCT: {
        if (s->spec == NULL) s->spec = class_spec(s->cls);
        if (s->spec == NULL || (s->spec->names == NULL && s->spec->setfields == NULL)) return NOT_HANDLED;
        return build_struct(s->spec, v, depth + 1, hashed);
    }
    case K_LIST: case K_SET: {
        if (!PyList_CheckExact(v)) return NOT_HANDLED;
        Py_ssize_t n = PyList_GET_SIZE(v);
        PyObject *items = PyTuple_New(n);
        if (items == NULL) return NULL;
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *item = build_value(s->elem, PyList_GET_ITEM(v, i), depth, hashed);
            if (item == NULL) { Py_DECREF(items); return NULL; }
            PyTuple_SET_ITEM(items, i, item);
        }
        if (s->kind == K_LIST) return items;
        PyObject *made = PyObject_CallOneArg(from_unique, items);
        if (made == NULL) { Py_DECREF(items); return NULL; }
        PyObject *members = PyObject_GetAttr(made, str_members);
        Py_ssize_t distinct = members == NULL ? -1 : PyObject_Size(members);
        Py_XDECREF(members);
        int same = distinct == n;
        Py_DECREF(items);
        if (!same) { Py_DECREF(made); return NULL; }  /* equal elements (or an error): the pure decoder says which */
        return made;
    }
    case K_MAP: {
        if (!PyDict_CheckExact(v) || s->key->kind != K_STRING) return NOT_HANDLED;
        PyObject *out = PyDict_New(), *key, *item;
        if (out == NULL) return NULL;
        Py_ssize_t pos = 0;
        while (PyDict_Next(v, &pos, &key, &item)) {
            PyObject *value = build_value(s->elem, item, depth, hashed);
            if (value == NULL || PyDict_SetItem(out, key, value) < 0) {
                Py_XDECREF(value);
                Py_DECREF(out);
                return NULL;
            }
            Py_DECREF(value);
        }
        PyObject *made = PyObject_CallOneArg(map_wrap, out);
        Py_DECREF(out);
        return made;
    }
    default:
        return NOT_HANDLED;
    }
}

static int read_jhash(PyObject *v, PyObject **out) {  /* cachedHashCode: an int in Java's int range */
    if (v == NULL || !PyLong_CheckExact(v)) return -1;
    int overflow;
    long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (overflow || (x == -1 && PyErr_Occurred()) || x < INT32_MIN || x > INT32_MAX) { PyErr_Clear(); return -1; }
    *out = v;
    return 0;
}

static PyObject *new_object(ClassSpec *c, PyObject *jhash) {
    PyTypeObject *t = (PyTypeObject *)c->cls;
    PyObject *o = t->tp_alloc(t, 0);
    if (o == NULL) return NULL;
    SLOT(o, c->off_jhash) = Py_NewRef(jhash);
    SLOT(o, c->off_json) = Py_NewRef(Py_None);
    SLOT(o, c->off_pyhash) = Py_NewRef(Py_None);
    return o;
}

static PyObject *build_union(ClassSpec *c, PyObject *d, int depth, int *hashed) {
    PyObject *k, *v, *jhash = NULL, *set_field = NULL, *value = NULL;
    Py_ssize_t pos = 0, i = 0;
    if (PyDict_GET_SIZE(d) != 3) return NOT_HANDLED;
    while (PyDict_Next(d, &pos, &k, &v)) {  /* exactly cachedHashCode, setField, value, in that order */
        if (!PyUnicode_CheckExact(k)) return NOT_HANDLED;
        if (i == 0 && PyUnicode_CompareWithASCIIString(k, "cachedHashCode") == 0) jhash = v;
        else if (i == 1 && PyUnicode_CompareWithASCIIString(k, "setField") == 0) set_field = v;
        else if (i == 2 && PyUnicode_CompareWithASCIIString(k, "value") == 0) value = v;
        else return NOT_HANDLED;
        i++;
    }
    if (read_jhash(jhash, &jhash) < 0 || !PyUnicode_CheckExact(set_field) || value == Py_None) return NOT_HANDLED;
    PyObject *arm = PyDict_GetItemWithError(c->setfields, set_field);
    if (arm == NULL) return NOT_HANDLED;
    Field *f = &c->fields[PyLong_AsSsize_t(PyTuple_GET_ITEM(arm, 1))];
    int inner = 1;
    PyObject *built = build_value(&f->type, value, depth, &inner);
    if (built == NULL) return NULL;
    *hashed &= inner && PyObject_IsTrue(jhash);
    PyObject *o = new_object(c, jhash);
    if (o == NULL) { Py_DECREF(built); return NULL; }
    SLOT(o, c->off_set_field) = Py_NewRef(PyTuple_GET_ITEM(arm, 0));
    SLOT(o, c->off_value) = built;
    return o;
}

/* Shape.check of the members of d, in C: every member known, in Gson's order, those Gson always writes
   present; a sequence found valid is remembered in Shape.valid as check() does. -1: not handled. */
static int check_shape(ClassSpec *c, PyObject *d) {
    Py_ssize_t n = PyDict_GET_SIZE(d), pos = 0, i = 0, last = -1;
    PyObject *keys = PyTuple_New(n), *k, *v;
    if (keys == NULL) return -1;
    while (PyDict_Next(d, &pos, &k, &v)) PyTuple_SET_ITEM(keys, i++, Py_NewRef(k));
    int valid = PySet_Contains(c->valid, keys);
    if (valid != 0) {
        Py_DECREF(keys);
        return valid > 0 ? 0 : -1;
    }
    for (i = 0; i < n; i++) {
        PyObject *index = PyDict_GetItemWithError(c->order, PyTuple_GET_ITEM(keys, i));
        Py_ssize_t at = index == NULL ? -1 : PyLong_AsSsize_t(index);
        if (at <= last) goto irregular;  /* unknown, or out of order (also in any-order mode: the pure decoder's) */
        last = at;
    }
    for (i = 0; i < PyTuple_GET_SIZE(c->always); i++) {
        int found = PyDict_Contains(d, PyTuple_GET_ITEM(c->always, i));
        if (found <= 0) goto irregular;
    }
    if (PySet_GET_SIZE(c->valid) >= c->valid_limit && PySet_Clear(c->valid) < 0) goto irregular;
    if (PySet_Add(c->valid, keys) < 0) goto irregular;
    Py_DECREF(keys);
    return 0;
irregular:
    Py_DECREF(keys);
    return -1;
}

static PyObject *build_struct(ClassSpec *c, PyObject *d, int depth, int *hashed) {
    if (depth > DEC_DEPTH || !PyDict_CheckExact(d)) return NOT_HANDLED;
    if (c->is_union) return c->setfields == NULL ? NOT_HANDLED : build_union(c, d, depth, hashed);
    if (check_shape(c, d) < 0) return NOT_HANDLED;
    PyObject *jhash;
    if (read_jhash(PyDict_GetItemWithError(d, str_chc), &jhash) < 0) return NOT_HANDLED;
    PyObject *key = NULL;
    if (c->interned != Py_None) {
        key = PyObject_CallMethodOneArg(c->interned, str_key, d);
        if (key == NULL) return NULL;
        if (key != Py_None) {
            PyObject *found = PyObject_CallMethodOneArg(c->interned, str_get, key);
            if (found != Py_None) { Py_DECREF(key); return found; }  /* only fully hashed objects are kept */
            Py_DECREF(found);
        }
    }
    PyObject *o = new_object(c, jhash);
    if (o == NULL) goto fail;
    int inner = 1;
    for (Py_ssize_t i = 0; i < c->n; i++) {
        Field *f = &c->fields[i];
        PyObject *member = PyDict_GetItemWithError(d, c->names[i]), *built;
        if (member == NULL) {
            if (PyErr_Occurred() || !f->nullable) goto fail;
            built = Py_NewRef(Py_None);
        } else if (member == Py_None) {
            goto fail;  /* an explicit null: the pure decoder names it */
        } else {
            built = build_value(&f->type, member, depth, &inner);
            if (built == NULL) goto fail;
        }
        SLOT(o, f->offset) = built;
    }
    inner = inner && PyObject_IsTrue(jhash);
    *hashed &= inner;
    if (key != NULL && key != Py_None) {
        PyObject *r = PyObject_CallMethodObjArgs(c->interned, str_add, key, o, inner ? Py_True : Py_False, NULL);
        if (r == NULL) goto fail;
        Py_DECREF(r);
    }
    Py_XDECREF(key);
    return o;
fail:
    Py_XDECREF(key);
    Py_XDECREF(o);
    return NULL;
}

/* build(cls, tree): the object decoded, or None when the pure-Python decoder must run;
   NeedsExactText as the pure decoder raises it */
static PyObject *build(PyObject *self, PyObject *args) {
    PyObject *cls, *tree;
    if (!PyArg_ParseTuple(args, "OO", &cls, &tree)) return NULL;
    ClassSpec *c = class_spec(cls);
    PyObject *o = NULL;
    int hashed = 1;
    if (c != NULL && (c->names != NULL || c->setfields != NULL)) o = build_struct(c, tree, 0, &hashed);
    if (o != NULL) return o;
    if (PyErr_Occurred() && PyErr_ExceptionMatches(needs_exact_text)) return NULL;
    PyErr_Clear();
    dec_handed_back++;
    Py_RETURN_NONE;
}

/* register_decoder(cls, names, shape, interned, setfields): what decoding a registered class needs.
   Struct: the JSON member names in field order, its Shape, its Interned table or None.
   Union: setfields maps a setField to (the set_field value, the index of its arm). */
static PyObject *register_decoder(PyObject *self, PyObject *args) {
    PyObject *cls, *names, *shape, *interned, *setfields;
    if (!PyArg_ParseTuple(args, "OOOOO", &cls, &names, &shape, &interned, &setfields)) return NULL;
    ClassSpec *c = class_spec(cls);
    if (c == NULL) {
        if (!PyErr_Occurred()) PyErr_Format(PyExc_TypeError, "%R is not registered", cls);
        return NULL;
    }
    if (slot_offset_s(cls, "_pyhash", &c->off_pyhash) < 0) return NULL;
    if (c->is_union) {
        if (!PyDict_Check(setfields)) { PyErr_SetString(PyExc_TypeError, "setfields must be a dict"); return NULL; }
        c->setfields = Py_NewRef(setfields);
        Py_RETURN_NONE;
    }
    PyObject *valid = PyObject_GetAttrString(shape, "valid"), *order = PyObject_GetAttrString(shape, "order");
    PyObject *always = PyObject_GetAttrString(shape, "always"), *limit = PyObject_GetAttrString(shape, "LIMIT");
    int ok = valid && order && always && limit && PySet_CheckExact(valid) && PyDict_CheckExact(order)
             && PyTuple_CheckExact(always) && PyLong_CheckExact(limit);
    if (ok) c->valid_limit = PyLong_AsSsize_t(limit);
    Py_XDECREF(limit);
    if (!ok || !PyTuple_Check(names) || PyTuple_GET_SIZE(names) != c->n) {
        Py_XDECREF(valid); Py_XDECREF(order); Py_XDECREF(always);
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "names: a tuple of one name a field; shape: a Shape");
        return NULL;
    }
    c->order = order;
    c->always = always;
    c->names = PyMem_Calloc(c->n ? c->n : 1, sizeof(PyObject *));
    if (c->names == NULL) return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < c->n; i++) c->names[i] = Py_NewRef(PyTuple_GET_ITEM(names, i));
    c->valid = valid;
    c->interned = Py_NewRef(interned);
    Py_RETURN_NONE;
}

static PyObject *decode_fallbacks(PyObject *self, PyObject *unused) {
    return PyLong_FromLongLong(dec_handed_back);
}

/* setup(EPOCH, gson_double, OrderedSet, FrozenMap, ExactDouble, NeedsExactText) */
static PyObject *setup(PyObject *self, PyObject *args) {
    PyObject *e, *gd, *os, *fm, *ed, *net;
    if (!PyArg_ParseTuple(args, "O!OO!O!O!O!", &PyList_Type, &e, &gd, &PyType_Type, &os, &PyType_Type, &fm,
                          &PyType_Type, &ed, &PyType_Type, &net))
        return NULL;
    Py_XSETREF(exact_double, Py_NewRef(ed));
    Py_XSETREF(needs_exact_text, Py_NewRef(net));
    if (PyList_GET_SIZE(e) != 1) {
        PyErr_SetString(PyExc_ValueError, "EPOCH must hold one int");
        return NULL;
    }
    if (slot_offset_s(os, "_items", &off_set_items) < 0 || slot_offset_s(fm, "_data", &off_map_data) < 0)
        return NULL;
    Py_XSETREF(epoch, Py_NewRef(e));
    Py_XSETREF(gson_double, Py_NewRef(gd));
    ordered_set = (PyTypeObject *)Py_NewRef(os);
    frozen_map = (PyTypeObject *)Py_NewRef(fm);
    Py_XSETREF(from_unique, PyObject_GetAttrString(os, "from_unique"));
    Py_XSETREF(map_wrap, PyObject_GetAttrString(fm, "wrap"));
    if (from_unique == NULL || map_wrap == NULL) return NULL;
    Py_RETURN_NONE;
}

#include "_decode.c"  /* decoding straight from the text */

static PyObject *fallbacks(PyObject *self, PyObject *unused) {
    return PyLong_FromLongLong(handed_back);
}

static PyMethodDef methods[] = {
    {"fallbacks", fallbacks, METH_NOARGS, "How many calls were handed to the pure-Python functions so far"},
    {"setup", setup, METH_VARARGS, "setup(EPOCH, gson_double, OrderedSet, FrozenMap, ExactDouble, NeedsExactText)"},
    {"register", register_class, METH_VARARGS, "register(cls, is_union, frozen_checks, fields, py_encode, py_hash)"},
    {"encode", encode, METH_O, "encode(obj): the Gson text of a registered struct or union"},
    {"set_written", set_written, METH_O, "set_written(WRITTEN): hashing.WRITTEN, the mark of a text not kept"},
    {"write_event", write_event, METH_VARARGS,
     "write_event(task, tail, form): '{\"task\":' + encode(task) + tail as a str or bytes, or None"},
    {"build", build, METH_VARARGS, "build(cls, tree): the object decoded from a parsed tree, or None (not handled)"},
    {"register_decoder", register_decoder, METH_VARARGS,
     "register_decoder(cls, names, valid, interned, setfields): the decoding tables of a registered class"},
    {"decode_fallbacks", decode_fallbacks, METH_NOARGS, "How many decodes were handed to the pure-Python decoder"},
    PARSE_METHODS
    {"java_hash", java_hash, METH_VARARGS, "java_hash(obj, ids): Java's hashCode, cached as the models do"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speedups",
                                    "The optional compiled walker of generated models (see runtime/accel.py).",
                                    -1, methods};

PyMODINIT_FUNC PyInit__speedups(void) {
    registry = PyDict_New();
    one = PyLong_FromLong(1);
    str_members = PyUnicode_InternFromString("_members");
    str_key = PyUnicode_InternFromString("key");
    str_get = PyUnicode_InternFromString("get");
    str_add = PyUnicode_InternFromString("add_checked");
    str_chc = PyUnicode_InternFromString("cachedHashCode");
    if (registry == NULL || one == NULL || !str_members || !str_key || !str_get || !str_add || !str_chc) return NULL;
    return PyModule_Create(&module);
}
