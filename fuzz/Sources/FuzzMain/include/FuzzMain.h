// Entry points for the fuzz executables. SwiftPM links an executable with `main` defined as
// `<module>_main` (its testable-executable scheme), so libFuzzer's own main is never used: each
// of these hands the command line to libFuzzer's driver with the target's LLVMFuzzerTestOneInput.
int fuzz_netlink_main(int argc, char **argv);
int fuzz_topology_main(int argc, char **argv);
int fuzz_cni_main(int argc, char **argv);
