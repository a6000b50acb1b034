import Glibc
@testable import VethKit
import XCTest

/// Every VethKit error has a category, and errno values print as before: `File exists (EEXIST)`.
final class ErrorCategoryTests: XCTestCase {
    func testEveryErrorTypeHasItsCategory() throws {
        let cases: [(any Error, ErrorCategory)] = [
            (InvalidInput("CIDR", "x", "bad"), .invalidInput),
            (NotFound.link("veth1"), .notFound),
            (NotFound.namespace("t1"), .notFound),
            (AlreadyExists.namespace("t1"), .exists),
            (MalformedMessage("short"), .kernel),
            (BoundedRead.TooLarge(limit: 10), .invalidInput),
            (KernelError(errno: .fileExists), .exists),
            (KernelError(errno: .operationNotSupportedByDevice), .notFound),   // ENODEV: no such link
            (KernelError(errno: .noSuchProcess), .notFound),                   // ESRCH: no such route
            (KernelError(errno: .addressNotAvailable), .notFound),             // EADDRNOTAVAIL: no such address
            (KernelError(errno: .resourceBusy), .busy),
            (KernelError(errno: .notPermitted), .permission),
            (KernelError(errno: .notSupportedOnSocket), .unsupported),
            (KernelError(errno: .invalidArgument), .kernel),
            (KernelError(errno: Errno(rawValue: ENETUNREACH)), .kernel),
            (SystemCallError("mount /run/netns/x", .permissionDenied), .permission),
            (SystemCallError("open /run/netns/x", .noSuchFileOrDirectory), .notFound),
            (SystemCallError("read", .ioError), .system),
        ]
        for (error, category) in cases {
            XCTAssertEqual((error as? any CategorizedError)?.category, category, "\(type(of: error)): \(error)")
            XCTAssertEqual(ErrorCategory.of(error), category, "\(error)")
        }
        struct Foreign: Error {}
        XCTAssertEqual(ErrorCategory.of(Foreign()), .system, "an error of no category counts as system")
    }

    func testNotFoundKinds() {
        XCTAssertEqual(NotFound.link("veth1", in: "t1").description, "no link \"veth1\" in namespace t1")
        XCTAssertEqual(NotFound.namespace("t1").kind, .namespace)
        XCTAssertEqual(NotFound.namespace("t1").description, "no network namespace \"t1\"")
        XCTAssertEqual(NotFound(.route, "default").description, "no route \"default\"")
        XCTAssertEqual(NotFound(.address, "10.0.0.1/24 on d0").kind, .address)
    }

    func testErrnoIsSwiftSystemsAndPrintsAsBefore() {
        let e: Errno = .fileExists
        XCTAssertEqual(e.rawValue, EEXIST)
        XCTAssertEqual(KernelError(errno: .fileExists).description, "File exists (EEXIST)")
        XCTAssertEqual(KernelError(errno: .fileExists, message: "already there").description, "File exists (EEXIST): already there")
        XCTAssertEqual(SystemCallError("mkdir /run/netns", .permissionDenied).description, "mkdir /run/netns: Permission denied (EACCES)")
        XCTAssertEqual(Errno.operationNotSupportedByDevice.name, "ENODEV")
    }
}
