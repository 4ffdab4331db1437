import Glibc
import Testing

/// The `hardening-probe` test helper, built next to the test bundle (a dependency of this target).
func probePath() throws -> String {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    try #require(count > 0, "cannot read /proc/self/exe")
    let exe = String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let path =
        exe.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        + "/hardening-probe"
    try #require(access(path, X_OK) == 0, "test helper \(path) was not built")
    return path
}

/// Runs `arguments` to completion; stdout, stderr and the exit status.
func runProcess(_ arguments: [String]) throws -> (stdout: String, stderr: String, status: Int32) {
    var outPipe: [Int32] = [0, 0]
    var errPipe: [Int32] = [0, 0]
    try #require(pipe(&outPipe) == 0 && pipe(&errPipe) == 0)
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
    posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
    posix_spawn_file_actions_addclose(&actions, outPipe[0])
    posix_spawn_file_actions_addclose(&actions, errPipe[0])
    let argv = arguments.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, arguments[0], &actions, nil, argv, environ)
    close(outPipe[1])
    close(errPipe[1])
    defer {
        close(outPipe[0])
        close(errPipe[0])
    }
    try #require(rc == 0, "spawn \(arguments[0]): \(String(cString: strerror(rc)))")
    // The helpers print little: read stderr after stdout without risking a full pipe.
    let out = readAll(outPipe[0])
    let err = readAll(errPipe[0])
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let exit = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return (out, err, exit)
}

private func readAll(_ fd: Int32) -> String {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = read(fd, &chunk, chunk.count)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        bytes += chunk[..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// The probe's stdout lines, requiring a zero exit status.
func probe(_ arguments: [String]) throws -> [String] {
    let result = try runProcess([try probePath()] + arguments)
    try #require(result.status == 0, "hardening-probe \(arguments) failed (\(result.status)): \(result.stderr)")
    return result.stdout.split(separator: "\n").map(String.init)
}

/// The tests drop capabilities and load seccomp filters in helper processes; they need root.
let isRoot = geteuid() == 0

/// A whole file's bytes, or nil.
func readWholeFile(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    return Array(readAll(fd).utf8)
}
