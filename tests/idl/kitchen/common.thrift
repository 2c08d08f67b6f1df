/** Common definitions, included by kitchen.thrift; includes base.thrift in turn. */
namespace py kitchen.common

include "base.thrift"

typedef i64 Timestamp
typedef list<base.Point> Path

/** A shape drawn with one colour. */
struct Shape {
  1: string name
  2: base.Colour colour = base.Colour.GREEN
  3: Path outline
  4: Timestamp drawnAt
}

/** Raised when a shape is not known. */
exception NoSuchShape {
  1: string name
  2: i32 code = 404
}

const base.Colour FAVOURITE = base.Colour.BLUE
