import Foundation
import GVisorConfig
import HostOS
import Testing

/// The cache answers like `RunscShimConfig.load` and never serves a file's old content.
struct RunscShimConfigCacheTests {
    @Test func answersLikeLoadAndFollowsChanges() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let path = directory + "/runsc.toml"
        let cache = RunscShimConfigCache()
        try HostFile.writeAtomically("root = \"/a\"\n[runsc_config]\ndebug = true\n", to: path)
        let first = try cache.load(contentsOfFile: path)
        #expect(first == (try RunscShimConfig.load(contentsOfFile: path)))
        #expect(try cache.load(contentsOfFile: path) == first)
        #expect(first.config.root == "/a" && first.config.runscConfig == ["debug": "true"])

        try HostFile.writeAtomically("root = \"/b\"\n", to: path)
        #expect(try cache.load(contentsOfFile: path).config.root == "/b")

        try HostFile.writeAtomically("root = \n", to: path)
        for _ in 0..<2 {
            #expect {
                try cache.load(contentsOfFile: path)
            } throws: { error in
                (error as? RunscTOMLError)?.file == path && "\(error)".contains(path)
            }
        }
        unlink(path)
        #expect {
            try cache.load(contentsOfFile: path)
        } throws: { error in
            "\(error)".contains(path)
        }
    }

    @Test func manyFilesStayWithinCapacity() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let cache = RunscShimConfigCache(capacity: 2)
        for index in 0..<5 {
            let path = directory + "/\(index).toml"
            try HostFile.writeAtomically("root = \"/r\(index)\"\n", to: path)
            #expect(try cache.load(contentsOfFile: path).config.root == "/r\(index)")
        }
        #expect(try cache.load(contentsOfFile: directory + "/0.toml").config.root == "/r0")
    }
}
