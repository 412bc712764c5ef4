// Everything is in include/FusedMultiplyAdd.h (inline functions); SwiftPM needs a source file per C target.
#include "FusedMultiplyAdd.h"
