/** Base definitions, two includes away from kitchen.thrift (found through an include dir). */
namespace py kitchen.base

/** A colour; values are not consecutive on purpose. */
enum Colour {
  RED = 1,
  /** Green is two. */
  GREEN = 2,
  BLUE = 7
}

/** A point in the plane. */
struct Point {
  1: i32 x
  2: i32 y
}
