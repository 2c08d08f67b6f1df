/**
 * Everything the generator must handle, in one IDL: includes (one of them
 * two levels deep), typedefs, nested containers, every kind of constant,
 * services with extends, throws and oneway, exceptions, and field names that
 * are Python keywords, builtins or the names of types.
 */
namespace py kitchen

include "common.thrift"

typedef string Name
typedef map<string, list<set<i32>>> Nested
typedef common.Timestamp When

enum Level {
  LOW = 0,
  HIGH = 10
}

/** A type whose name is also used as a field name. */
struct Bar {
  1: i16 depth
}

/** Field names Python would not accept, or that shadow builtins. */
struct Awkward {
  1: string from
  2: string type
  3: i64 id
  4: bool class
  5: Bar Bar
  6: string str
  7: i32 int
  8: list<string> strs    // annotated tuple[str, ...], where field 6 shadows the builtin str
  9: map<i32, double> lookup  // annotated with int, which field 7 shadows
  10: optional string replace
  11: optional Level self
}

/** Every scalar and container kind, with defaults and requiredness. */
struct Everything {
  1: bool flag
  2: byte tiny
  3: i16 small
  4: i32 medium
  5: i64 large
  6: double real
  7: string text
  8: binary blob
  9: Level level
  10: Bar bar
  11: list<i32> numbers
  12: set<string> tags
  13: map<string, i64> counts
  14: Nested nested
  15: list<list<Bar>> grid
  16: map<Level, set<Bar>> byLevel
  17: common.Shape shape
  18: When when
  19: required Name name
  20: optional i32 maybe
  21: i32 answer = 42
  22: Level preferred = Level.HIGH
  23: list<string> defaultsList = ["a", "b"]
  24: Choice choice = { "count": 3 }
  25: Bar defaultBar = { "depth": 2 }
}

/** A union over several kinds. */
union Choice {
  1: i32 count
  2: string label
  3: Bar bar
  4: list<Level> levels
  5: common.Shape shape
}

/** Raised on bad input. */
exception Oops {
  1: string message
  2: i32 code
}

const bool C_BOOL = true
const byte C_BYTE = -128
const i16 C_I16 = 32767
const i32 C_I32 = -2147483648
const i64 C_I64 = 9223372036854775807
const double C_DOUBLE = 2.5
const double C_DOUBLE_INT = 3
const string C_STRING = "tab\there \"quoted\""
const Level C_ENUM = Level.HIGH
const list<i32> C_LIST = [3, 1, 2]
const set<string> C_SET = ["b", "a", "c"]
const map<string, i32> C_MAP = {"one": 1, "two": 2}
const Bar C_STRUCT = {"depth": 5}
const Choice C_UNION = {"label": "hi"}
const map<Level, list<Bar>> C_NESTED = {Level.LOW: [{"depth": 1}]}
const common.Shape C_SHAPE = {"name": "square", "colour": common.FAVOURITE}
const When C_TYPEDEF = 1700000000000

/** Basic service. */
service Base {
  /** Says hello. */
  string hello(1: Name who)

  void nothing()
}

/** Extends Base with more methods. */
service Kitchen extends Base {
  /** Looks a shape up. */
  common.Shape find(1: string name, 2: Level level) throws (1: common.NoSuchShape missing, 2: Oops oops)

  oneway void fireAndForget(1: i64 token)

  map<string, list<set<i32>>> nestedResult(1: set<Bar> bars, 2: map<Level, Bar> byLevel)

  Choice choose(1: i32 from, 2: string class)
}
