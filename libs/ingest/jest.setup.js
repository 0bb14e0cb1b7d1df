// The CSV replay's worker thread runs from source in tests, compiled by @swc-node/register. Loaded here as
// well, the compiler's native binding stays loaded when a worker ends: a worker that unloads it crashes the
// next one to load it (a segmentation fault of the whole test process).
require('@swc/core');
