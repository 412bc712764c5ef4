// Everything is in include/ (inline functions); SwiftPM needs a source file per C target.
#include "FusedMultiplyAdd.h"
#include "Clamp.h"
#include "Transpose.h"
