#include <stddef.h>
#include <stdint.h>
#include "FuzzMain.h"

// From libFuzzer (compiler-rt/include/fuzzer/FuzzedDataProvider.h's companion FuzzerInterface.h).
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
// Defined by the Swift target linked into the same executable (@_cdecl).
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run(int argc, char **argv) { return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput); }
int fuzz_netlink_main(int argc, char **argv) { return run(argc, argv); }
int fuzz_topology_main(int argc, char **argv) { return run(argc, argv); }
int fuzz_cni_main(int argc, char **argv) { return run(argc, argv); }
