// Prefetch.h holds everything (an inline function); SwiftPM needs a source file per C target.
#include "Prefetch.h"
