import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Who may talk to a server, judged by the connecting process's credentials (`SO_PEERCRED`), which is all the
/// "handshake" ttrpc has.
public enum PeerCredentialPolicy: Hashable, Sendable {
    /// No check.
    case anyone
    /// The peer must run with this process's effective uid and gid, as containerd's shims require
    /// (ttrpc `UnixSocketRequireSameUser`).
    case sameUser
    /// The peer must have this uid, and this gid unless nil.
    case user(uid: UInt32, gid: UInt32?)
}

/// `struct ucred` from `<sys/socket.h>`, declared here because Glibc imports it only with `_GNU_SOURCE`.
private struct PeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

extension PeerCredentialPolicy {
    /// Succeeds when the peer of `channel` is acceptable, fails with `PermissionDenied` otherwise.
    func check(_ channel: any Channel) -> EventLoopFuture<Void> {
        let expected: (uid: UInt32, gid: UInt32?)
        switch self {
        case .anyone: return channel.eventLoop.makeSucceededVoidFuture()
        case .sameUser: expected = (geteuid(), getegid())
        case .user(let uid, let gid): expected = (uid, gid)
        }
        #if os(Linux)
            guard let provider = channel as? any SocketOptionProvider else {
                return channel.eventLoop.makeFailedFuture(
                    TTRPCError.permissionDenied("ttrpc: cannot read peer credentials of \(type(of: channel))"))
            }
            let future: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(
                level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
            return future.flatMapThrowing { peer in
                guard peer.uid == expected.uid, expected.gid.map({ $0 == peer.gid }) ?? true else {
                    throw TTRPCError.permissionDenied(
                        "ttrpc: invalid credentials: peer pid \(peer.pid) uid \(peer.uid) gid \(peer.gid), "
                            + "expected uid \(expected.uid)" + (expected.gid.map { " gid \($0)" } ?? ""))
                }
            }
        #else
            return channel.eventLoop.makeFailedFuture(
                TTRPCError.permissionDenied("ttrpc: peer credential checks need SO_PEERCRED (Linux)"))
        #endif
    }
}
