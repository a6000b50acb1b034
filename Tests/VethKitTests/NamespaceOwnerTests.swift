@testable import VethKit
import XCTest

/// Owners from real-world /proc/PID/cgroup lines (podman, docker, Kubernetes with containerd,
/// CRI-O and docker, containerd/nerdctl, systemd), and what must not be mistaken for one.
final class NamespaceOwnerTests: XCTestCase {
    let id64 = "8f2c1b9d3e4a5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8"

    func owner(_ text: String) -> NamespaceOwner? { OwnerDetection.owner(cgroupFile: Array(text.utf8)) }

    func testPodman() {
        XCTAssertEqual(owner("0::/machine.slice/libpod-\(id64).scope\n"), .podman(containerID: id64, name: nil))
        XCTAssertEqual(owner("0::/machine.slice/libpod-\(id64).scope/container\n"), .podman(containerID: id64, name: nil))
        XCTAssertEqual(owner("0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-\(id64).scope\n"),
                       .podman(containerID: id64, name: nil))
        XCTAssertEqual(owner("0::/libpod_parent/libpod-\(id64)\n"), .podman(containerID: id64, name: nil))
        // conmon's own cgroup is not the container (and conmon is not in its namespace anyway): a unit
        XCTAssertEqual(owner("0::/machine.slice/libpod-conmon-\(id64).scope\n"), .systemdUnit("libpod-conmon-\(id64).scope"))
    }

    func testDocker() {
        XCTAssertEqual(owner("0::/system.slice/docker-\(id64).scope\n"), .docker(containerID: id64, name: nil))
        XCTAssertEqual(owner("12:pids:/docker/\(id64)\n11:memory:/docker/\(id64)\n0::/docker/\(id64)\n"), .docker(containerID: id64, name: nil))
        XCTAssertNil(owner("0::/docker/notanid\n"))
    }

    func testKubernetes() {
        let systemd = "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0b1e6a2c_77f3_4c5e_9a1b_2d3c4e5f6a7b.slice/cri-containerd-\(id64).scope\n"
        XCTAssertEqual(owner(systemd), .kubernetes(podUID: "0b1e6a2c-77f3-4c5e-9a1b-2d3c4e5f6a7b", namespace: nil, pod: nil, containerID: id64))
        let guaranteed = "0::/kubepods.slice/kubepods-pod0b1e6a2c_77f3_4c5e_9a1b_2d3c4e5f6a7b.slice/crio-\(id64).scope\n"
        XCTAssertEqual(owner(guaranteed), .kubernetes(podUID: "0b1e6a2c-77f3-4c5e-9a1b-2d3c4e5f6a7b", namespace: nil, pod: nil, containerID: id64))
        let cgroupfs = "11:memory:/kubepods/burstable/pod0b1e6a2c-77f3-4c5e-9a1b-2d3c4e5f6a7b/\(id64)\n"
        XCTAssertEqual(owner(cgroupfs), .kubernetes(podUID: "0b1e6a2c-77f3-4c5e-9a1b-2d3c4e5f6a7b", namespace: nil, pod: nil, containerID: id64))
        let dockershim = "1:name=systemd:/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0b1e6a2c_77f3_4c5e_9a1b_2d3c4e5f6a7b.slice/docker-\(id64).scope\n"
        XCTAssertEqual(owner(dockershim), .kubernetes(podUID: "0b1e6a2c-77f3-4c5e-9a1b-2d3c4e5f6a7b", namespace: nil, pod: nil, containerID: id64))
        // the QoS slice alone: no pod
        XCTAssertNil(owner("0::/kubepods.slice/kubepods-besteffort.slice\n"))
    }

    func testContainerdOutsideKubernetes() {
        XCTAssertEqual(owner("0::/system.slice/containerd-\(id64).scope\n"), .containerd(namespace: nil, containerID: id64))
        XCTAssertEqual(owner("0::/system.slice/nerdctl-\(id64).scope\n"), .containerd(namespace: nil, containerID: id64))
        XCTAssertEqual(owner("0::/default/\(id64)\n"), .containerd(namespace: "default", containerID: id64))
        // ctr's name-like ids and other two-level cgroups are not guessed at
        XCTAssertNil(owner("0::/default/mycontainer\n"))
        XCTAssertNil(owner("4:memory:/process_api/dd829caae9e3bc1a33d39e9554b896cb\n0::/\n"))
    }

    func testSystemdUnits() {
        XCTAssertEqual(owner("0::/system.slice/nginx.service\n"), .systemdUnit("nginx.service"))
        XCTAssertEqual(owner("0::/user.slice/user-1000.slice/user@1000.service/app.slice/app-foo-1234.scope\n"), .systemdUnit("app-foo-1234.scope"))
        XCTAssertEqual(owner("0::/system.slice/vethkit-lab.service/payload\n"), .systemdUnit("vethkit-lab.service"))
        // a login session, the user manager or PID 1 are nobody's owner
        XCTAssertNil(owner("0::/user.slice/user-0.slice/session-3.scope\n"))
        XCTAssertNil(owner("0::/user.slice/user-1000.slice/user@1000.service\n"))
        XCTAssertNil(owner("0::/init.scope\n"))
        XCTAssertNil(owner("0::/\n"))
    }

    func testUnifiedLineWinsAndContainersBeatUnits() {
        let hybrid = "1:name=systemd:/system.slice/docker-\(id64).scope\n0::/system.slice/foo.service\n"
        XCTAssertEqual(owner(hybrid), .docker(containerID: id64, name: nil), "a container on any line beats a unit")
        let twoUnits = "1:name=systemd:/system.slice/a.service\n0::/system.slice/b.service\n"
        XCTAssertEqual(owner(twoUnits), .systemdUnit("b.service"), "the unified line first")
    }

    func testHostileCgroupFiles() {
        XCTAssertNil(owner(""))
        XCTAssertNil(owner("no colons at all\n::\n:\n0:\n"))
        XCTAssertNil(OwnerDetection.owner(cgroupFile: [0xFF, 0x3A, 0x3A, 0x2F, 0x00, 0x0A]))
        // not container ids (uppercase, absurdly long): only the scope unit they are
        XCTAssertEqual(owner("0::/machine.slice/libpod-\(id64.uppercased()).scope\n"), .systemdUnit("libpod-\(id64.uppercased()).scope"))
        let long = "libpod-\(String(repeating: "a", count: 200)).scope"
        XCTAssertEqual(owner("0::/machine.slice/\(long)\n"), .systemdUnit(long))
        XCTAssertEqual(owner("0::/a:b/system.slice/x.service\n"), .systemdUnit("x.service"), "a ':' in the path")
    }
}
