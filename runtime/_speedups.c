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
static int string_hash(PyObject *s, uint32_t *out) {
    if (!PyUnicode_CheckExact(s)) return -1;
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    uint32_t h = 0;
    if (kind == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *p = data;
        for (Py_ssize_t i = 0; i < n; i++) h = 31 * h + p[i];
    } else if (kind == PyUnicode_2BYTE_KIND) {
        const Py_UCS2 *p = data;
        for (Py_ssize_t i = 0; i < n; i++) h = 31 * h + p[i];
    } else {
        const Py_UCS4 *p = data;
        for (Py_ssize_t i = 0; i < n; i++) {
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

static int hash_value(Spec *s, PyObject *v, PyObject *ids, uint32_t *out);

static int move_epoch(void) {  /* EPOCH[0] += 1 */
    PyObject *moved = PyNumber_Add(PyList_GET_ITEM(epoch, 0), one);
    return moved == NULL ? -1 : PyList_SetItem(epoch, 0, moved);  /* steals moved, drops the old value */
}

static int hash_struct(ClassSpec *c, PyObject *o, PyObject *ids, uint32_t *out) {
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
        PyObject *id = PyObject_GetItem(ids, arm->idkey);
        if (id == NULL) return -1;
        uint32_t idh = (uint32_t)PyLong_AsLongLong(id), vh;
        Py_DECREF(id);
        if (PyErr_Occurred() || value == Py_None || hash_value(&arm->type, value, ids, &vh) < 0) return -1;
        h = 31 * (31 + idh) + vh;
    } else {
        h = 1;
        for (Py_ssize_t i = 0; i < c->n; i++) {
            Field *f = &c->fields[i];
            PyObject *v = SLOT(o, f->offset);
            uint32_t x = 0;
            if (v == NULL) return -1;
            if (v != Py_None) {
                if (hash_value(&f->type, v, ids, &x) < 0) return -1;
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
        if (move_epoch() < 0) return -1;  /* at once, as the generated code does: JSON cached before is stale */
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

static int hash_value(Spec *s, PyObject *v, PyObject *ids, uint32_t *out) {
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
        if (key == NULL) return -1;
        PyObject *id = PyObject_GetItem(ids, key);
        if (id == NULL) return -1;
        *out = (uint32_t)PyLong_AsLongLong(id);
        Py_DECREF(id);
        return PyErr_Occurred() ? -1 : 0;
    }
    case K_STRUCT: {
        ClassSpec *c = struct_spec(s, v);
        return c == NULL ? -1 : hash_struct(c, v, ids, out);
    }
    case K_LIST: case K_SET: {
        PyObject *items;
        if (container_items(s, v, &items) < 0) return -1;
        uint32_t h = s->kind == K_LIST ? 1 : 0, x;
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(items); i++) {
            if (hash_value(s->elem, PyTuple_GET_ITEM(items, i), ids, &x) < 0) return -1;
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
            if (hash_value(s->key, key, ids, &hk) < 0 || hash_value(s->elem, value, ids, &hv) < 0) return -1;
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
    uint32_t h;
    if (c != NULL && hash_struct(c, obj, ids, &h) == 0)
        return PyLong_FromLong((long)(int32_t)h);
    if (c == NULL) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_TypeError, "%s has no accelerated hash", Py_TYPE(obj)->tp_name);
        return NULL;
    }
    PyErr_Clear();
    handed_back++;
    return PyObject_CallFunctionObjArgs(c->py_hash, obj, ids, NULL);
}

/* ---- Gson text ------------------------------------------------------------------ */
static int escape_char(Py_UCS4 ch, char *buf) {  /* the escape Gson writes for ch, or 0 */
    switch (ch) {
    case '"': return sprintf(buf, "\\\"");
    case '\\': return sprintf(buf, "\\\\");
    case '\t': return sprintf(buf, "\\t");
    case '\b': return sprintf(buf, "\\b");
    case '\n': return sprintf(buf, "\\n");
    case '\r': return sprintf(buf, "\\r");
    case '\f': return sprintf(buf, "\\f");
    case '<': case '>': case '&': case '=': case '\'': case 0x2028: case 0x2029:
        return sprintf(buf, "\\u%04x", (unsigned)ch);
    default:
        return ch < 0x20 ? sprintf(buf, "\\u%04x", (unsigned)ch) : 0;
    }
}

static int write_string(_PyUnicodeWriter *w, PyObject *s) {
    if (!PyUnicode_CheckExact(s)) return -1;
    Py_ssize_t n = PyUnicode_GET_LENGTH(s), i;
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    char buf[8];
    for (i = 0; i < n; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (ch < 0x20 || ch == '"' || ch == '\\' || ch == '<' || ch == '>' || ch == '&' || ch == '='
            || ch == '\'' || ch == 0x2028 || ch == 0x2029)
            break;
    }
    if (_PyUnicodeWriter_WriteChar(w, '"') < 0) return -1;
    if (i == n) {
        if (_PyUnicodeWriter_WriteStr(w, s) < 0) return -1;
    } else {
        Py_ssize_t run = 0;  /* start of the characters written as they are */
        for (; i < n; i++) {
            int len = escape_char(PyUnicode_READ(kind, data, i), buf);
            if (len == 0) continue;
            if (i > run && _PyUnicodeWriter_WriteSubstring(w, s, run, i) < 0) return -1;
            if (_PyUnicodeWriter_WriteASCIIString(w, buf, len) < 0) return -1;
            run = i + 1;
        }
        if (n > run && _PyUnicodeWriter_WriteSubstring(w, s, run, n) < 0) return -1;
    }
    return _PyUnicodeWriter_WriteChar(w, '"');
}

static int write_int(_PyUnicodeWriter *w, PyObject *v) {
    if (!PyLong_CheckExact(v)) return -1;
    long long x = PyLong_AsLongLong(v);
    if (x == -1 && PyErr_Occurred()) return -1;
    char buf[24];
    int len = snprintf(buf, sizeof buf, "%lld", x);
    return _PyUnicodeWriter_WriteASCIIString(w, buf, len);
}

static PyObject *encode_struct(ClassSpec *c, PyObject *o, int *final);

/* Write v of type s; *final is cleared when v's JSON may still change (an unhashed object inside). */
static int write_value(_PyUnicodeWriter *w, Spec *s, PyObject *v, int *final) {
    switch (s->kind) {
    case K_BOOL:
        if (v == Py_True) return _PyUnicodeWriter_WriteASCIIString(w, "true", 4);
        if (v == Py_False) return _PyUnicodeWriter_WriteASCIIString(w, "false", 5);
        return -1;
    case K_INT: case K_I64:
        return write_int(w, v);
    case K_DOUBLE: {
        if (!PyFloat_CheckExact(v)) return -1;
        PyObject *text = PyObject_CallOneArg(gson_double, v);
        if (text == NULL) return -1;
        int r = _PyUnicodeWriter_WriteStr(w, text);
        Py_DECREF(text);
        return r;
    }
    case K_STRING:
        return write_string(w, v);
    case K_ENUM: {
        PyObject *text = PyDict_GetItemWithError(s->quoted, v);
        return text == NULL ? -1 : _PyUnicodeWriter_WriteStr(w, text);
    }
    case K_STRUCT: {
        ClassSpec *c = struct_spec(s, v);
        if (c == NULL) return -1;
        int child_final;
        PyObject *text = encode_struct(c, v, &child_final);
        if (text == NULL) return -1;
        *final &= child_final;
        int r = _PyUnicodeWriter_WriteStr(w, text);
        Py_DECREF(text);
        return r;
    }
    case K_LIST: case K_SET: {
        PyObject *items;
        if (container_items(s, v, &items) < 0 || _PyUnicodeWriter_WriteChar(w, '[') < 0) return -1;
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(items); i++) {
            if (i && _PyUnicodeWriter_WriteChar(w, ',') < 0) return -1;
            if (write_value(w, s->elem, PyTuple_GET_ITEM(items, i), final) < 0) return -1;
        }
        return _PyUnicodeWriter_WriteChar(w, ']');
    }
    case K_MAP: {
        if (Py_TYPE(v) != frozen_map) return -1;
        PyObject *data = SLOT(v, off_map_data), *key, *value;
        if (data == NULL || !PyDict_CheckExact(data) || _PyUnicodeWriter_WriteChar(w, '{') < 0) return -1;
        Py_ssize_t pos = 0;
        int first = 1;
        while (PyDict_Next(data, &pos, &key, &value)) {
            if (!first && _PyUnicodeWriter_WriteChar(w, ',') < 0) return -1;
            first = 0;
            switch (s->key->kind) {  /* Gson writes String.valueOf(key), quoted */
            case K_STRING: case K_ENUM:
                if (write_value(w, s->key, key, final) < 0) return -1;
                break;
            case K_INT: case K_I64: case K_BOOL:
                if (_PyUnicodeWriter_WriteChar(w, '"') < 0 || write_value(w, s->key, key, final) < 0
                    || _PyUnicodeWriter_WriteChar(w, '"') < 0)
                    return -1;
                break;
            default:
                return -1;
            }
            if (_PyUnicodeWriter_WriteChar(w, ':') < 0 || write_value(w, s->elem, value, final) < 0) return -1;
        }
        return _PyUnicodeWriter_WriteChar(w, '}');
    }
    default:
        return -1;
    }
}

static PyObject *encode_struct(ClassSpec *c, PyObject *o, int *final) {
    PyObject *cached = SLOT(o, c->off_json), *jhash = SLOT(o, c->off_jhash);
    if (cached == NULL || jhash == NULL) return NULL;
    PyObject *now = PyList_GET_ITEM(epoch, 0);
    if (PyUnicode_CheckExact(cached)) { *final = 1; return Py_NewRef(cached); }
    if (PyTuple_CheckExact(cached) && PyTuple_GET_SIZE(cached) == 2) {
        int same = PyObject_RichCompareBool(PyTuple_GET_ITEM(cached, 1), now, Py_EQ);
        if (same < 0) return NULL;
        if (same) { *final = 0; return Py_NewRef(PyTuple_GET_ITEM(cached, 0)); }
    } else if (cached != Py_None) {
        return NULL;
    }
    Py_INCREF(now);  /* the epoch the text is written in */
    _PyUnicodeWriter w;
    _PyUnicodeWriter_Init(&w);
    w.overallocate = 1;
    w.min_length = 256;  /* one allocation for most objects */
    int all_final = 1;
    if (_PyUnicodeWriter_WriteASCIIString(&w, "{\"cachedHashCode\":", 18) < 0 || write_int(&w, jhash) < 0)
        goto fail;
    if (c->is_union) {
        PyObject *set_field = SLOT(o, c->off_set_field), *value = SLOT(o, c->off_value);
        if (set_field == NULL || value == NULL || value == Py_None) goto fail;
        PyObject *index = PyDict_GetItemWithError(c->arms, set_field);
        if (index == NULL) goto fail;
        Field *arm = &c->fields[PyLong_AsSsize_t(index)];
        if (_PyUnicodeWriter_WriteStr(&w, arm->prefix) < 0 || write_value(&w, &arm->type, value, &all_final) < 0)
            goto fail;
    } else {
        for (Py_ssize_t i = 0; i < c->n; i++) {
            Field *f = &c->fields[i];
            PyObject *v = SLOT(o, f->offset);
            if (v == NULL) goto fail;
            if (v == Py_None) {
                if (f->nullable) continue;
                goto fail;
            }
            if (_PyUnicodeWriter_WriteStr(&w, f->prefix) < 0 || write_value(&w, &f->type, v, &all_final) < 0)
                goto fail;
        }
    }
    if (_PyUnicodeWriter_WriteChar(&w, '}') < 0) goto fail;
    PyObject *text = _PyUnicodeWriter_Finish(&w);
    if (text == NULL) { Py_DECREF(now); return NULL; }
    int hashed = PyObject_IsTrue(jhash);
    /* The same rule as the generated encoders: a union, or a struct with no struct inside, keeps its
       text with the epoch it was written in; a struct holding structs keeps it only once final. */
    *final = hashed && all_final;
    if (*final) {
        Py_INCREF(text);
        Py_XSETREF(SLOT(o, c->off_json), text);
    } else if (c->is_union || !c->frozen_checks) {
        PyObject *pair = hashed && !c->is_union ? Py_NewRef(text) : PyTuple_Pack(2, text, now);
        if (pair == NULL) { Py_DECREF(now); Py_DECREF(text); return NULL; }
        Py_XSETREF(SLOT(o, c->off_json), pair);
    }
    Py_DECREF(now);
    return text;
fail:
    Py_DECREF(now);
    _PyUnicodeWriter_Dealloc(&w);
    return NULL;
}

/* encode(obj): the class's _gson_encode */
static PyObject *encode(PyObject *self, PyObject *obj) {
    ClassSpec *c = class_spec((PyObject *)Py_TYPE(obj));
    int final;
    if (c != NULL) {
        PyObject *text = encode_struct(c, obj, &final);
        if (text != NULL) return text;
    } else {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_TypeError, "%s has no accelerated encoder", Py_TYPE(obj)->tp_name);
        return NULL;
    }
    PyErr_Clear();
    handed_back++;
    return PyObject_CallOneArg(c->py_encode, obj);
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

static PyObject *exact_double, *needs_exact_text; /* codec_support.ExactDouble, NeedsExactText (setup) */
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
    case K_DOUBLE: {  /* codec_support.double_value; beyond 2^63 a double may need its text (NeedsExactText) */
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
