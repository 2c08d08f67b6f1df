/**
 * Edge cases for the Gson differential tests (tests/test_gson_differential.py):
 * byte and i16 values, map keys that are not strings, bools in unions and
 * containers, and a union with two arms of the same type.
 */
namespace py edges

enum Mood {
  SAD = -1,
  OK = 0,
  GLAD = 5
}

struct Leaf {
  1: i32 n
  2: string s
}

union Pick {
  1: bool flag
  2: byte tiny
  3: i16 small
  4: i64 big
  5: i64 other
  6: Leaf leaf
  7: list<bool> flags
  8: double real
  9: Mood mood
}

struct Edges {
  1: byte b
  2: i16 s
  3: bool t
  4: map<byte, string> byByte
  5: map<i16, i32> byShort
  6: map<i64, bool> byLong
  7: map<bool, string> byBool
  8: map<double, i32> byDouble
  9: map<Mood, Leaf> byMood
  10: list<bool> flags
  11: set<bool> flagSet
  12: map<string, list<bool>> flagLists
  13: Pick pick
  14: list<Pick> picks
  15: set<byte> tinies
  16: list<i16> smalls
}

/** Holds structs only inside a container: its JSON may be kept only once each of them is hashed. */
struct Leaves {
  1: list<Leaf> leaves
  2: map<string, Leaf> named
}
