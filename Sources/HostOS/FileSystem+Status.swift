#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// What `stat(2)` says about a file, in the terms callers here test: its kind, permission bits, size, owner and,
/// for device nodes, the device numbers.
public struct FileStatus: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case regular, directory, symbolicLink, characterDevice, blockDevice, fifo, socket, unknown
    }

    public var kind: Kind
    /// The permission bits with set-id and sticky bits (`st_mode & 07777`).
    public var permissions: mode_t
    public var size: Int64
    public var owner: uid_t
    public var group: gid_t
    /// The device a character or block device node stands for (`major(st_rdev)`, `minor(st_rdev)`).
    public var deviceMajor: UInt32
    public var deviceMinor: UInt32

    public init(_ info: stat) {
        switch info.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symbolicLink
        case S_IFCHR: kind = .characterDevice
        case S_IFBLK: kind = .blockDevice
        case S_IFIFO: kind = .fifo
        case S_IFSOCK: kind = .socket
        default: kind = .unknown
        }
        permissions = info.st_mode & 0o7777
        size = Int64(info.st_size)
        owner = info.st_uid
        group = info.st_gid
        (deviceMajor, deviceMinor) = Self.split(device: UInt64(truncatingIfNeeded: info.st_rdev))
    }

    /// glibc's `major(3)` and `minor(3)`, which Swift cannot import (they are macros).
    static func split(device: UInt64) -> (major: UInt32, minor: UInt32) {
        let major = ((device >> 8) & 0xfff) | ((device >> 32) & ~0xfff)
        let minor = (device & 0xff) | ((device >> 12) & ~0xff)
        return (UInt32(truncatingIfNeeded: major), UInt32(truncatingIfNeeded: minor))
    }
}
