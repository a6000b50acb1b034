import XCTest
// The CNI plugin tests live here (see docs/cni.md).
