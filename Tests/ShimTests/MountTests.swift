import Glibc
import Testing

@testable import Shim

struct MountTests {
    @Test func optionsSplitIntoFlagsPropagationAndData() {
        let overlay = Mount(
            type: "overlay", source: "overlay",
            options: ["index=off", "workdir=/w", "upperdir=/u", "lowerdir=/l1:/l2", "ro", "nosuid"])
        #expect(overlay.parsed.flags == UInt(MS_RDONLY) | UInt(MS_NOSUID))
        #expect(overlay.parsed.data == ["index=off", "workdir=/w", "upperdir=/u", "lowerdir=/l1:/l2"])

        let bind = Mount(type: "bind", source: "/src", options: ["rbind", "rw", "rprivate"])
        #expect(bind.parsed.flags == UInt(MS_BIND) | UInt(MS_REC))
        #expect(bind.parsed.propagation == UInt(MS_PRIVATE) | UInt(MS_REC))
        #expect(bind.parsed.data.isEmpty)
    }

    @Test func bindMountAppearsAndUnmountAllRemovesIt() throws {
        let base = String(cString: mkdtemp(strdup("/tmp/shim-mount-test.XXXXXX")))
        defer { rmdir("\(base)/source"); rmdir("\(base)/target"); rmdir(base) }
        mkdir("\(base)/source", 0o755)
        mkdir("\(base)/target", 0o755)
        let marker = "\(base)/source/marker"
        close(open(marker, O_CREAT | O_WRONLY, 0o644))
        defer { unlink(marker) }

        try Mount.mountAll(
            [Mount(type: "bind", source: "\(base)/source", options: ["rbind", "ro"])], on: "\(base)/target")
        #expect(access("\(base)/target/marker", F_OK) == 0)
        // Read-only took effect through the remount.
        #expect(open("\(base)/target/new", O_CREAT | O_WRONLY, 0o644) == -1 && errno == EROFS)
        try Mount.unmountAll("\(base)/target")
        #expect(access("\(base)/target/marker", F_OK) != 0)
        // Unmounting what is not mounted is not an error.
        try Mount.unmountAll("\(base)/target")
    }

    @Test func failedMountNamesTheMount() {
        #expect(throws: SystemError.self) {
            try Mount.mountAll([Mount(type: "bind", source: "/nonexistent-source", options: ["rbind"])], on: "/tmp")
        }
    }
}
