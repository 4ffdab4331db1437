import Glibc
import HostOS
import Testing

@Suite struct HostFileTests {
    @Test func readsAWholeFileAndNamesAMissingOne() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/config.json"
            let large = String(repeating: "0123456789abcdef", count: 10_000)
            try plainWrite(large, to: path)
            #expect(text(try HostFile.read(path)) == large)
            #expect(HostFile.readText(path) == large)

            let missing = #expect(throws: FileSystemError.self) { try HostFile.read(directory + "/absent") }
            #expect(missing?.code == ENOENT && missing?.isNotFound == true)
            #expect(missing?.description == "\(directory)/absent: open failed: No such file or directory")
            #expect(HostFile.readText(directory + "/absent") == nil)
        }
    }

    /// The cap holds for files whose size `stat(2)` reports and for `/proc` files, which report 0.
    @Test func filesOverTheSizeLimitAreRefused() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/f"
            try plainWrite(String(repeating: "x", count: 1000), to: path)
            #expect(try HostFile.read(path, sizeLimit: 1000).count == 1000)
            let over = #expect(throws: FileSystemError.self) { try HostFile.read(path, sizeLimit: 999) }
            #expect(over?.code == EFBIG && over?.path == path)
        }
        #expect(try HostFile.read("/proc/self/status").starts(with: Array("Name:".utf8)))
        let proc = #expect(throws: FileSystemError.self) { try HostFile.read("/proc/self/status", sizeLimit: 8) }
        #expect(proc?.code == EFBIG)
    }

    @Test func atomicWriteReplacesWithTheExactModeAndLeavesNoTemporaryFile() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/runsc.toml"
            try HostFile.writeAtomically("old\n", to: path)
            // 0666 would come out 0644 under the usual umask if only open(2)'s mode applied.
            try HostFile.writeAtomically(Array("new\n".utf8), to: path, mode: 0o666)
            #expect(text(try HostFile.read(path)) == "new\n")
            #expect(FileSystem.status(path)?.permissions == 0o666)
            #expect(try Directory.entries(directory) == ["runsc.toml"])
        }
    }

    /// A rename that fails (the target is a directory) removes the temporary file and leaves the target alone.
    @Test func aFailedWriteLeavesNoTemporaryFileBehind() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/config.json"
            try FileSystem.makeDirectories(path + "/inside")
            let failed = #expect(throws: FileSystemError.self) { try HostFile.writeAtomically("x", to: path) }
            #expect(failed?.operation == "rename into place" && failed?.path == path)
            #expect(try Directory.entries(directory) == ["config.json"])
            #expect(try Directory.entries(path) == ["inside"])

            let missing = #expect(throws: FileSystemError.self) {
                try HostFile.writeAtomically("x", to: directory + "/missing/runsc.toml")
            }
            #expect(missing?.code == ENOENT)
            #expect(missing?.description.hasPrefix(directory + "/missing/runsc.toml: ") == true)
        }
    }

    /// Issue 17: temporary files were `<path>.tmp-<pid>` (GVisorConfig) and `.<name>.gvisor-node-<pid>`
    /// (gvisor-node), opened without `O_EXCL`: a symlink planted at either guessable name made the write fill the
    /// link's target. A symlink at the target itself is replaced by rename(2), never written through.
    @Test func plantedSymlinksAreNotFollowed() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/runsc.toml"
            let victim = directory + "/victim"
            try plainWrite("precious\n", to: victim)
            let planted = ["\(path).tmp-\(getpid())", "\(directory)/.runsc.toml.gvisor-node-\(getpid())"]
            for name in planted { #expect(symlink(victim, name) == 0) }
            try HostFile.writeAtomically("new\n", to: path)
            #expect(text(try HostFile.read(victim)) == "precious\n")
            #expect(text(try HostFile.read(path)) == "new\n")

            let link = directory + "/linked.json"
            #expect(symlink(victim, link) == 0)
            try HostFile.writeAtomically("replaced\n", to: link)
            #expect(FileSystem.linkStatus(link)?.kind == .regular)
            #expect(text(try HostFile.read(victim)) == "precious\n")
        }
    }

    /// `O_EXCL|O_NOFOLLOW`: an existing name, a symbolic link included, is never opened.
    @Test func temporaryFilesAreNewRandomlyNamedAndNeverAnExistingLink() throws {
        try withTemporaryDirectory { directory in
            var names: Set<String> = []
            for _ in 0..<20 {
                let (fd, path) = try HostFile.createTemporary(prefix: directory + "/f.tmp-", mode: 0o600)
                close(fd)
                #expect(path.hasPrefix(directory + "/f.tmp-") && path.count == directory.count + 7 + 16)
                names.insert(path)
            }
            #expect(names.count == 20)
            let taken = #expect(throws: FileSystemError.self) {
                try HostFile.createTemporary(prefix: directory + "/missing/x", mode: 0o600)
            }
            #expect(taken?.code == ENOENT)
            // What the flags guarantee for a planted link at the chosen name.
            let link = directory + "/planted"
            #expect(symlink(directory + "/victim", link) == 0)
            #expect(open(link, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600) == -1 && errno == EEXIST)
            #expect(!FileSystem.exists(directory + "/victim"))
        }
    }
}
