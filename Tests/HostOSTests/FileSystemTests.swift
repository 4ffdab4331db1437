import Glibc
import HostOS
import Testing

@Suite struct FileSystemTests {
    @Test func statusReportsKindPermissionsAndDeviceNumbers() throws {
        let null = try #require(FileSystem.status("/dev/null"))
        #expect(null.kind == .characterDevice && null.deviceMajor == 1 && null.deviceMinor == 3)
        #expect(null.permissions == 0o666)
        try withTemporaryDirectory { directory in
            try plainWrite("12345", to: directory + "/tool", mode: 0o755)
            #expect(chmod(directory + "/tool", 0o4755) == 0)
            let tool = try #require(FileSystem.status(directory + "/tool"))
            #expect(tool.kind == .regular && tool.size == 5 && tool.permissions == 0o4755)
            #expect(tool.owner == geteuid() && tool.group == getegid())
            #expect(FileSystem.isExecutableFile(directory + "/tool"))
            #expect(!FileSystem.isExecutableFile(directory))

            #expect(symlink(directory, directory + "/up") == 0)
            #expect(FileSystem.isDirectory(directory + "/up"))
            #expect(FileSystem.linkStatus(directory + "/up")?.kind == .symbolicLink)
            #expect(symlink(directory + "/absent", directory + "/dangling") == 0)
            #expect(FileSystem.exists(directory + "/dangling") && FileSystem.status(directory + "/dangling") == nil)
            #expect(!FileSystem.exists(directory + "/absent"))
        }
    }

    /// glibc's `makedev(3)` layout: the low 12 bits of major and 8 of minor in the low word, the rest above.
    @Test func deviceNumbersSplitLikeGlibc() {
        let major: UInt64 = 0x12345
        let minor: UInt64 = 0xabcde
        var info = stat()
        info.st_mode = S_IFCHR | 0o600
        info.st_rdev = dev_t(
            (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12) | ((major & ~0xfff) << 32))
        let status = FileStatus(info)
        #expect(status.kind == .characterDevice && status.deviceMajor == 0x12345 && status.deviceMinor == 0xabcde)
    }

    @Test func makeDirectoriesCreatesMissingOnesAndRefusesAFileOnThePath() throws {
        try withTemporaryDirectory { directory in
            try FileSystem.makeDirectories(directory + "/a/b/c", mode: 0o700)
            try FileSystem.makeDirectories(directory + "/a/b/c")
            #expect(FileSystem.status(directory + "/a/b/c")?.permissions == 0o700)
            try plainWrite("", to: directory + "/a/file")
            let blocked = #expect(throws: FileSystemError.self) {
                try FileSystem.makeDirectories(directory + "/a/file/d")
            }
            #expect(blocked?.code == ENOTDIR && blocked?.path == directory + "/a/file")
        }
    }

    @Test func removeSaysWhetherAFileWasThere() throws {
        try withTemporaryDirectory { directory in
            try plainWrite("", to: directory + "/f")
            #expect(try FileSystem.remove(directory + "/f"))
            #expect(try !FileSystem.remove(directory + "/f"))
            try FileSystem.makeDirectories(directory + "/d/e")
            #expect(throws: FileSystemError.self) { try FileSystem.remove(directory + "/d") }
            #expect(!FileSystem.removeDirectoryIfEmpty(directory + "/d"))
            #expect(FileSystem.removeDirectoryIfEmpty(directory + "/d/e"))
        }
    }

    @Test func parentOfPaths() {
        #expect(FileSystem.parent(of: "/etc/containerd/config.toml") == "/etc/containerd")
        #expect(FileSystem.parent(of: "/config.toml") == "/")
        #expect(FileSystem.parent(of: "config.toml") == ".")
    }
}
