import Glibc
import HostOS
import Testing

@Suite struct DirectoryTests {
    @Test func entriesAreSortedWithoutDotAndDotDot() throws {
        try withTemporaryDirectory { directory in
            for name in ["b", ".hidden", "a", "c.lock"] { try plainWrite("", to: "\(directory)/\(name)") }
            try FileSystem.makeDirectories(directory + "/sub")
            #expect(symlink("/nonexistent", directory + "/dangling") == 0)
            #expect(try Directory.entries(directory) == [".hidden", "a", "b", "c.lock", "dangling", "sub"])
            #expect(try Directory.entries(directory + "/sub") == [])
        }
    }

    @Test func failuresNameTheDirectory() throws {
        try withTemporaryDirectory { directory in
            let missing = #expect(throws: FileSystemError.self) { try Directory.entries(directory + "/absent") }
            #expect(missing?.isNotFound == true)
            #expect(missing?.description == "\(directory)/absent: open the directory failed: No such file or directory")
            try plainWrite("", to: directory + "/file")
            let file = #expect(throws: FileSystemError.self) { try Directory.entries(directory + "/file") }
            #expect(file?.code == ENOTDIR)
        }
    }

    @Test func regularFilesFollowLinksAndSkipEverythingElse() throws {
        try withTemporaryDirectory { directory in
            try plainWrite("", to: directory + "/runsc")
            try FileSystem.makeDirectories(directory + "/helpers")
            #expect(symlink(directory + "/runsc", directory + "/linked") == 0)
            #expect(symlink(directory + "/absent", directory + "/dangling") == 0)
            #expect(mkfifo(directory + "/fifo", 0o600) == 0)
            #expect(try Directory.regularFiles(in: directory) == ["linked", "runsc"])
        }
    }
}
