import Glibc
import HostOS
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

    /// containerd's `compactLowerdirOption`, case by case.
    @Test func lowerdirCompactionFollowsContainerd() {
        let snapshots = "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots"
        let (directory, data) = Mount.compactLowerdir([
            "index=off", "lowerdir=\(snapshots)/12/fs:\(snapshots)/11/fs:\(snapshots)/1/fs", "upperdir=/u",
        ])
        // The common prefix ".../snapshots/1" is cut back to the directory.
        #expect(directory == snapshots + "/")
        #expect(data == ["index=off", "upperdir=/u", "lowerdir=12/fs:11/fs:1/fs"])
        // One lowerdir, nothing in common below "/", or no lowerdir: unchanged.
        for options in [["lowerdir=/a/b/c"], ["lowerdir=/a/x:/b/y"], ["upperdir=/u"]] {
            let unchanged = Mount.compactLowerdir(options)
            #expect(unchanged.directory == nil && unchanged.data == options, "\(options)")
        }
        // A lowerdir that is the common directory itself cannot be made relative.
        #expect(Mount.compactLowerdir(["lowerdir=/s/a/:/s/a/b"]).directory == nil)
    }

    /// Issue 17: images of ~55 layers and more could not run (70 layers: ENOENT, the lowerdir cut at a page).
    /// 100 layers under containerd's snapshot directory names, mounted for real, every layer visible.
    @Test func aHundredLayerOverlayMounts() throws {
        let base = String(cString: mkdtemp(strdup("/tmp/shim-overlay-test.XXXXXX")))
        let snapshots = "\(base)/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots"
        defer { try? Mount.unmountAll("\(base)/rootfs"); _ = system("rm -rf '\(base)'") }
        var lowers: [String] = []
        for layer in (1...100).reversed() {
            let directory = "\(snapshots)/\(layer)/fs"
            #expect(system("mkdir -p '\(directory)' && touch '\(directory)/layer-\(layer)'") == 0)
            lowers.append(directory)
        }
        for directory in ["\(snapshots)/101/fs", "\(snapshots)/101/work", "\(base)/rootfs"] {
            #expect(system("mkdir -p '\(directory)'") == 0)
        }
        let options = [
            "index=off", "workdir=\(snapshots)/101/work", "upperdir=\(snapshots)/101/fs",
            "lowerdir=" + lowers.joined(separator: ":"),
        ]
        #expect(options.joined(separator: ",").utf8.count > 8000)
        let cwd = String(cString: getcwd(nil, 0))
        try Mount(type: "overlay", source: "overlay", options: options).mount(on: "\(base)/rootfs")
        for layer in [1, 50, 100] { #expect(access("\(base)/rootfs/layer-\(layer)", F_OK) == 0, "layer \(layer)") }
        // The process's working directory did not move.
        #expect(String(cString: getcwd(nil, 0)) == cwd)
        try Mount.unmountAll("\(base)/rootfs")
    }

    @Test func optionsBeyondAPageEvenCompactedAreANamedError() {
        let long = (0..<300).map { "/\(String(repeating: "x", count: 20))\($0)/fs" }.joined(separator: ":")
        let error = #expect(throws: SystemError.self) {
            try Mount(type: "overlay", source: "overlay", options: ["lowerdir=" + long]).mount(on: "/nonexistent")
        }
        #expect(error?.errno == E2BIG)
        #expect(error?.operation.contains("more than mount(2) takes") == true)
    }
}
